import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { SERVER_FILE, type ServerFile } from "@semla/api";
import { bytesSource, fusion, peft, safetensors } from "@semla/core";
import { sha256Hex } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_KEY_FILE } from "../embedded/local-key.js";
import { bytes } from "../format.js";
import { BIN, embeddedEnv, ROOT, type ServingProcess, startServe } from "../testing/serve.js";

const run = promisify(execFile);

interface AdapterRow {
  id: string;
  libraryId: string;
  name: string;
  version: number;
  sha256: string;
}

/** Adapters out of the registry through the real `semla` binary against `semla serve` (the embedded default, tiny world). */
describe("semla adapters pull and semla fuse", () => {
  let dir: string;
  let serving: ServingProcess;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let key: string;
  let adapter: AdapterRow;
  let second: AdapterRow;
  const api = async (route: string, init: RequestInit = {}) => fetch(`${url}${route}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers } });
  /** A registered adapter, read back from its own files (the route pull uses). */
  const source = async (id: string) => {
    const file = async (name: string) => new Uint8Array(await (await api(`/v1/adapters/${id}/files?file=${name}`)).arrayBuffer());
    return peft.readLoraAdapter({ config: await file("config"), weights: bytesSource(await file("weights")) });
  };
  const readFolder = async (dir: string) => {
    const weights = new Uint8Array(await readFile(path.join(dir, "adapter_model.safetensors")));
    const config = JSON.parse(await readFile(path.join(dir, "adapter_config.json"), "utf8")) as Record<string, unknown>;
    const header = await safetensors.readSafetensorsHeader(bytesSource(weights));
    return { config, adapter: await peft.readLoraAdapter({ config, weights: bytesSource(weights) }), metadata: header.metadata ?? {} };
  };

  const semla = (...args: string[]) => run(process.execPath, [BIN, ...args], { env, cwd: ROOT, timeout: 60_000 });
  const failure = (...args: string[]) =>
    semla(...args).then(
      () => expect.unreachable("exit 0"),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-out-"));
    env = embeddedEnv(path.join(dir, "data"), { SEMLA_WORLD: "tiny" });
    serving = await startServe([], env);
    url = (JSON.parse(await readFile(path.join(dir, "data", SERVER_FILE), "utf8")) as ServerFile).url;
    key = (await readFile(path.join(dir, "data", LOCAL_KEY_FILE), "utf8")).trim();
    const page = (await (await fetch(`${url}/v1/adapters?limit=2`, { headers: { authorization: `Bearer ${key}` } })).json()) as { items: AdapterRow[] };
    [adapter, second] = page.items as [AdapterRow, AdapterRow];
  }, 180_000);
  afterAll(async () => {
    if (serving?.child.exitCode === null) serving.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("writes adapter_config.json, adapter_model.safetensors (its sha256 the adapter's) and centroid.npy into a new folder, which pushes back as the same adapter", async () => {
    const out = path.join(dir, "pulled", adapter.name);
    const { stdout } = await semla("adapters", "pull", adapter.id, "--out", out);
    expect(stdout).toMatch(new RegExp(`^${adapter.name.replace(/[+]/g, "\\+")} v${adapter.version} \\(${adapter.id}, `));
    expect((await readdir(out)).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors", "centroid.npy"]);
    expect(sha256Hex(await readFile(path.join(out, "adapter_model.safetensors")))).toBe(adapter.sha256);
    // The registry compares config, centroid and weights: the same adapter again is "existing", no new version.
    const pushed = await semla("adapters", "push", out, "--library", adapter.libraryId, "--name", adapter.name);
    expect(pushed.stdout).toContain(`${adapter.id} v${adapter.version}`);
    expect(pushed.stdout).toMatch(/existing/);
  });

  it("an unknown adapter id exits 1 with one line naming registry.unknown-adapter, and writes nothing", async () => {
    const out = path.join(dir, "nothing");
    const { code, stderr } = await failure("adapters", "pull", "00000000-0000-4000-8000-000000000000", "--out", out);
    expect(code).toBe(1);
    expect(stderr).toBe("semla: adapter 00000000-0000-4000-8000-000000000000 does not exist (registry.unknown-adapter)\n");
    await expect(readdir(out)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("without --out it is a usage error (exit 2)", async () => {
    const { code, stderr } = await failure("adapters", "pull", adapter.id);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^semla: .*--out/);
  });

  it("fuse --adapters A:0.7,B:0.3 writes a PEFT folder equal to the in-process cat fusion of the two, the plan in its metadata", async () => {
    const out = path.join(dir, "fused-given");
    const { stdout } = await semla("fuse", "--library", adapter.libraryId, "--adapters", `${adapter.name}:0.7,${second.id}:0.3`, "--out", out);
    expect((await readdir(out)).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
    const fused = await readFolder(out);
    const expected = fusion.fuseAdapters(
      [
        { adapter: await source(adapter.id), weight: 0.7 },
        { adapter: await source(second.id), weight: 0.3 },
      ],
      { combination: "cat" },
    );
    expect(fused.config).toEqual(JSON.parse(JSON.stringify(expected.config)));
    expect(fused.adapter.modules.map((m) => [m.name, m.rank, m.inFeatures, m.outFeatures, [...m.a], [...m.b]])).toEqual(
      expected.modules.map((m) => [m.name, m.rank, m.inFeatures, m.outFeatures, [...m.a], [...m.b]]),
    );
    const plan = JSON.parse(fused.metadata["semla.plan"]!) as { fusion: unknown; adapters: { id: string; weight: number }[] };
    expect(plan.fusion).toEqual({ combination: "cat" });
    expect(plan.adapters.map((a) => [a.id, a.weight])).toEqual([
      [adapter.id, 0.7],
      [second.id, 0.3],
    ]);
    const size = bytes((await readFile(path.join(out, "adapter_model.safetensors"))).byteLength);
    expect(stdout).toBe(`cat of ${adapter.name} v${adapter.version} 0.7000, ${second.name} v${second.version} 0.3000 → rank ${expected.config.r}, ${size} → ${out}\n`);
  });

  it("fuse --embedding E.npy (written by numpy) fuses the plan /v1/route gives for it, with --k and svd --rank", async () => {
    const { dimension } = (await (await api(`/v1/libraries/${adapter.libraryId}`)).json()) as { dimension: number };
    const file = path.join(dir, "query.npy");
    const python = spawnSync("/usr/bin/python3", ["-c", `import numpy, sys; v = numpy.zeros(${dimension}, numpy.float32); v[0] = 1; v[1] = 0.25; numpy.save(sys.argv[1], v)`, file], {
      encoding: "utf8",
    });
    expect(python.stderr).toBe("");
    const embedding = Array.from({ length: dimension }, (_, i) => (i === 0 ? 1 : i === 1 ? 0.25 : 0));
    const routed = (await (await api("/v1/route", { method: "POST", body: JSON.stringify({ libraryId: adapter.libraryId, embedding, options: { k: 2 } }) })).json()) as { plan: unknown };
    const out = path.join(dir, "fused-routed");
    await semla("fuse", "--library", adapter.libraryId, "--embedding", file, "--k", "2", "--combination", "svd", "--rank", "2", "--out", out);
    const fused = await readFolder(out);
    const plan = JSON.parse(fused.metadata["semla.plan"]!) as { plan: unknown; fusion: unknown };
    expect(plan.plan).toEqual(routed.plan);
    expect(plan.fusion).toEqual({ combination: "svd", rank: 2 });
    expect(fused.config).toMatchObject({ r: 2, lora_alpha: 2 });
  });

  it.each([
    ["--image and --adapters together", ["--image", "x.png", "--adapters", "a:1"], 2, /^semla: fuse takes exactly one of --image IMG, --embedding E.npy or --adapters/],
    [
      "--k with --adapters",
      ["--adapters", "a:1", "--k", "2"],
      2,
      /^semla: --k, --temperature, --metric, --exclude, --exact and --ef-search route an --image or --embedding; --adapters gives the weights itself\n\nUsage: semla fuse \[options\]\n/,
    ],
    ["--rank without svd", ["--adapters", "a:1", "--rank", "2"], 2, /^semla: --rank is for --combination svd/],
    ["an --adapters item without a weight", ["--adapters", "fog"], 2, /^semla: --adapters item "fog" is not NAME:WEIGHT \(e\.g\. fog:0\.7\)\n\nUsage: semla fuse \[options\]\n/],
    ["an unknown adapter", ["--adapters", "hail:1"], 1, /^semla: library .* has no adapter "hail" \(registry\.unknown-adapter\)\n$/],
  ])("fuse with %s exits with its code and says why (a usage mistake: with fuse's usage)", async (_label, args, exit, message) => {
    const { code, stderr } = await failure("fuse", "--library", adapter.libraryId, ...args, "--out", path.join(dir, "never"));
    expect(code).toBe(exit);
    expect(stderr).toMatch(message);
    await expect(readdir(path.join(dir, "never"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

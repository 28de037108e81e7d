import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { SERVER_FILE, type ServerFile } from "@semla/api";
import { sha256Hex } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_KEY_FILE } from "../embedded/local-key.js";
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
describe("semla adapters pull", () => {
  let dir: string;
  let serving: ServingProcess;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let key: string;
  let adapter: AdapterRow;

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
    const page = (await (await fetch(`${url}/v1/adapters?limit=1`, { headers: { authorization: `Bearer ${key}` } })).json()) as { items: AdapterRow[] };
    adapter = page.items[0]!;
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
});

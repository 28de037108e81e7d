import { execFile, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { SERVER_FILE, type ServerFile } from "@semla/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_KEY_FILE } from "../embedded/local-key.js";
import { BIN, embeddedEnv, freePort, ROOT, type ServingProcess, startServe } from "../testing/serve.js";

const run = promisify(execFile);

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The installed `semla` (bin/semla.js) in `cwd`: its exit status and both outputs, whatever the status. */
function semlaIn(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<Ran> {
  return run(process.execPath, [BIN, ...args], { env, cwd, timeout: 90_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const VERSION = (JSON.parse(await readFile(path.join(ROOT, "functions/cli/package.json"), "utf8")) as { version: string }).version;

/** The command line itself: help, version, usage mistakes and expected failures, through the real binary (no server). */
describe("semla's command line", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const semla = (...args: string[]) => semlaIn(ROOT, env, ...args);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-cli-program-"));
    env = embeddedEnv(path.join(dir, "data"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("--version prints the package's version; -V is the same", async () => {
    expect(await semla("--version")).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(await semla("-V")).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("each command has its own --help and -h (exit 0), listing every option the API takes", async () => {
    const long = await semla("route", "--help");
    expect(await semla("route", "-h")).toEqual(long);
    expect(await semla("help", "route")).toEqual(long);
    expect(long.code).toBe(0);
    expect(long.stdout.split("\n")[0]).toBe("Usage: semla route [options] [image]");
    for (const flag of ["--embedding <file>", "--library <id>", "--k <n>", "--temperature <t>", "--metric <metric>", "--exclude <names>", "--exact", "--ef-search <n>", "--json"]) {
      expect(long.stdout).toContain(`\n  ${flag} `);
    }
    const segment = await semla("segment", "-h");
    expect(segment.stdout.split("\n")[0]).toBe("Usage: semla segment [options] <image>");
    for (const flag of [
      "--temperature <t>",
      "--metric <metric>",
      "--exclude <names>",
      "--combination <c>",
      "--density <d>",
      "--majority-sign <how>",
      "--seed <n>",
      "--rank <r>",
      "--clamp <q>",
      "--wait <seconds>",
    ]) {
      expect(segment.stdout).toContain(`\n  ${flag} `);
    }
    expect(segment.stdout).toContain('"magnitude_prune"');
    expect((await semla("adapters", "pull", "-h")).stdout.split("\n")[0]).toBe("Usage: semla adapters pull [options] <id>");
    expect((await semla("eval", "-h")).stdout).toContain("\n  --json ");
  }, 90_000);

  it("no command prints the commands to stderr and exits 2", async () => {
    const { code, stdout, stderr } = await semla();
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toMatch(/^Usage: semla \[options\] \[command\]\n/);
    expect(stderr).toContain("\n  route [options] [image] ");
  });

  it("a usage mistake prints one line and that command's usage only, and exits 2", async () => {
    const { code, stdout, stderr } = await semla("route", "img.png", "--library", "L", "--k", "two");
    expect([code, stdout]).toEqual([2, ""]);
    const help = (await semla("route", "--help")).stdout;
    expect(stderr).toBe(`semla: option '--k <n>' argument 'two' is invalid. It must be an integer.\n\n${help}`);
    expect(stderr).not.toContain("Usage: semla segment");

    expect(await semla("route", "--library", "L")).toEqual({ code: 2, stdout: "", stderr: `semla: route takes an IMAGE or --embedding FILE (one of the two)\n\n${help}` });
    const fuse = await semla("fuse", "--library", "L", "--adapters", "a:1", "--combination", "ties", "--clamp", "0.9", "--out", path.join(dir, "never"));
    expect(fuse.code).toBe(2);
    expect(fuse.stderr.split("\n")[0]).toBe("semla: --clamp is for --combination svd, not ties");
    expect((await semla("segment", "img.png", "--library", "L")).stderr.split("\n")[0]).toBe("semla: required option '--classes <names>' not specified");
    expect((await semla("route", "img.png", "--library", "L", "--metric", "manhattan")).stderr.split("\n")[0]).toBe(
      "semla: option '--metric <metric>' argument 'manhattan' is invalid. Allowed choices are euclidean, cosine.",
    );
    expect((await semla("librarys", "ls")).stderr.split("\n")[0]).toBe("semla: unknown command 'librarys'");
    expect((await semla("eval", "--k", "0")).stderr.split("\n")[0]).toBe("semla: --k: Too small: expected number to be >=1");
  }, 120_000);

  it("an unreachable server is one line naming its URL and the fix, exit 1", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    expect(await semla("libraries", "ls", "--url", url, "--api-key", "k")).toEqual({
      code: 1,
      stdout: "",
      stderr: `semla: cannot reach the API at ${url} (ECONNREFUSED): start it (npm start in the checkout, or semla serve), or point SEMLA_URL (or --url) at a running one (cli.unreachable)\n`,
    });
  });

  it("a missing input file and an output folder that does not exist are one line each, exit 1", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const missing = path.join(dir, "missing.png");
    expect(await semla("route", missing, "--library", "L", "--url", url, "--api-key", "k")).toEqual({
      code: 1,
      stdout: "",
      stderr: `semla: ${missing} does not exist: check the path (ENOENT)\n`,
    });
    const folder = path.join(dir, "no", "such");
    expect(await semla("segment", missing, "--library", "L", "--classes", "road", "--out", path.join(folder, "mask.png"), "--url", url, "--api-key", "k")).toEqual({
      code: 1,
      stdout: "",
      stderr: `semla: the folder ${folder} for --out does not exist: create it (mkdir -p ${folder}) or give a path in an existing folder (cli.no-output-folder)\n`,
    });
  });

  it("serve on a port in use says so at once, before the data folder or the demo world is made", async () => {
    const holder: Server = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, "127.0.0.1", () => resolve((holder.address() as { port: number }).port)));
    try {
      const started = performance.now();
      const refused = await semla("serve", "--port", String(port));
      expect(refused).toEqual({
        code: 1,
        stdout: "",
        stderr: `semla: port ${port} on 127.0.0.1 is in use (another semla serve?): stop what listens there, or pick another with --port N (or SEMLA_PORT) (cli.port-in-use)\n`,
      });
      expect(performance.now() - started).toBeLessThan(15_000);
      await expect(stat(path.join(dir, "data"))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      holder.close();
    }
  });
});

/** Against `semla serve` (tiny world): the data folder found from any directory, route --embedding and eval --json. */
describe("semla from any directory, against the embedded default", () => {
  let dir: string;
  let dataDir: string;
  let serving: ServingProcess;
  let url: string;
  let key: string;
  let libraryId: string;
  /** The environment of a shell with no SEMLA_* settings at all. */
  const bare = (): NodeJS.ProcessEnv => {
    const { SEMLA_DATA_DIR, ...rest } = embeddedEnv("unused");
    return rest;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-cli-anywhere-"));
    // A project folder holding the data folder, as `npm start` keeps it in the checkout.
    dataDir = path.join(dir, "project", ".semla");
    serving = await startServe([], embeddedEnv(dataDir, { SEMLA_WORLD: "tiny" }));
    url = (JSON.parse(await readFile(path.join(dataDir, SERVER_FILE), "utf8")) as ServerFile).url;
    key = (await readFile(path.join(dataDir, LOCAL_KEY_FILE), "utf8")).trim();
    libraryId = (JSON.parse(await readFile(path.join(dataDir, SERVER_FILE), "utf8")) as ServerFile).libraryId;
  }, 180_000);
  afterAll(async () => {
    await serving?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("finds the running server from a folder below the project, with no SEMLA_DATA_DIR; elsewhere says which folder it looked in", async () => {
    const below = path.join(dir, "project", "work", "deeper");
    await mkdir(below, { recursive: true });
    const listed = await semlaIn(below, bare(), "libraries", "ls", "--json");
    expect([listed.code, listed.stderr]).toEqual([0, ""]);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((l) => l.id)).toEqual([libraryId]);

    // Outside any project, SEMLA_DATA_DIR names the folder from anywhere.
    const elsewhere = await mkdtemp(path.join(tmpdir(), "semla-cli-elsewhere-"));
    try {
      const named = await semlaIn(elsewhere, { ...bare(), SEMLA_DATA_DIR: dataDir }, "libraries", "ls", "--json");
      expect(named.stdout).toBe(listed.stdout);
      const empty = path.join(elsewhere, ".semla");
      await mkdir(empty);
      expect(await semlaIn(elsewhere, bare(), "libraries", "ls")).toEqual({
        code: 1,
        stdout: "",
        stderr: `semla: no API to talk to: none runs from the data folder ${empty}; start it (npm start in the checkout, or semla serve) or set SEMLA_URL and SEMLA_API_KEY (cli.no-server)\n`,
      });
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("route --embedding FILE.npy (written by numpy) --json answers the plan /v1/route gives for that embedding, with --exact", async () => {
    const library = (await (await fetch(`${url}/v1/libraries/${libraryId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { dimension: number };
    const file = path.join(dir, "query.npy");
    const python = spawnSync("/usr/bin/python3", ["-c", `import numpy, sys; v = numpy.zeros(${library.dimension}, numpy.float32); v[2] = 1; v[0] = 0.5; numpy.save(sys.argv[1], v)`, file], {
      encoding: "utf8",
    });
    expect(python.status, python.stderr).toBe(0);
    const embedding = Array.from({ length: library.dimension }, (_, i) => (i === 2 ? 1 : i === 0 ? 0.5 : 0));
    const routed = await semlaIn(dir, { ...bare(), SEMLA_DATA_DIR: dataDir }, "route", "--embedding", file, "--library", libraryId, "--k", "2", "--exact", "--json");
    expect([routed.code, routed.stderr]).toEqual([0, ""]);
    const direct = (await (
      await fetch(`${url}/v1/route`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ libraryId, embedding, options: { k: 2, exact: true } }),
      })
    ).json()) as { plan: unknown; contributions: unknown[] };
    const cli = JSON.parse(routed.stdout) as typeof direct;
    expect(cli.contributions).toHaveLength(2);
    expect({ plan: cli.plan, contributions: cli.contributions }).toEqual({ plan: direct.plan, contributions: direct.contributions });
  });

  it("libraries update corrects a library's base model; rm refuses one holding adapters unless --cascade, which leaves no object behind", async () => {
    const env = { ...bare(), SEMLA_DATA_DIR: dataDir };
    const semla = (...args: string[]) => semlaIn(dir, env, ...args);
    const created = await semla("libraries", "create", "second", "--base-model", "wrong-model");
    expect([created.code, created.stderr]).toEqual([0, ""]);
    const id = created.stdout.trim();
    const seeded = JSON.parse((await semla("libraries", "ls", "--json")).stdout) as { id: string; baseModelId: string }[];
    const right = seeded.find((l) => l.id === libraryId)!.baseModelId;
    const updated = await semla("libraries", "update", id, "--base-model", right, "--name", "second-fixed", "--json");
    expect([updated.code, updated.stderr]).toEqual([0, ""]);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id, name: "second-fixed", baseModelId: right });
    expect((await semla("libraries", "update", id)).stderr.split("\n")[0]).toBe("semla: libraries update takes at least one of --name, --base-model, --embedding-model, --coverage-policy");
    // The API validates the changes itself (zod): nothing to change, a field that never changes, a bad cascade.
    const call = async (method: string, route: string, body?: unknown) => {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
    };
    expect(await call("PATCH", `/v1/libraries/${id}`, {})).toEqual([400, "api.invalid-request"]);
    expect(await call("PATCH", `/v1/libraries/${id}`, { dimension: 4 })).toEqual([400, "api.invalid-request"]);
    expect(await call("DELETE", `/v1/libraries/${id}?cascade=yes`)).toEqual([400, "api.invalid-request"]);

    // One adapter of the seeded library, pulled and pushed into this one.
    const objects = async () => (await readdir(path.join(dataDir, "blobs"), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).length;
    const before = await objects();
    const [adapter] = JSON.parse((await semla("adapters", "ls", "--library", libraryId, "--json")).stdout) as { id: string; name: string }[];
    const folder = path.join(dir, "pulled");
    expect((await semla("adapters", "pull", adapter!.id, "--out", folder)).code).toBe(0);
    expect((await semla("adapters", "push", folder, "--library", id, "--name", adapter!.name)).code).toBe(0);
    expect(await objects()).toBeGreaterThan(before);

    expect(await semla("libraries", "update", id, "--base-model", "another")).toEqual({
      code: 1,
      stdout: "",
      stderr: `semla: library "second-fixed" holds 1 adapters made for its baseModelId: remove them first, or create a new library (registry.library-not-empty)\n`,
    });
    expect(await semla("libraries", "rm", id)).toEqual({
      code: 1,
      stdout: "",
      stderr: 'semla: library "second-fixed" holds 1 adapters: remove them first, or remove it with them (cascade) (registry.library-not-empty)\n',
    });
    expect(await semla("libraries", "rm", id, "--cascade")).toEqual({ code: 0, stdout: `removed ${id}\n`, stderr: "" });
    expect(await objects()).toBe(before);
    expect((JSON.parse((await semla("libraries", "ls", "--json")).stdout) as { id: string }[]).map((l) => l.id)).toEqual([libraryId]);
    expect((await semla("libraries", "rm", id)).stderr).toBe(`semla: library ${id} does not exist (registry.unknown-library)\n`);
  }, 120_000);

  it("eval --json prints the results.json it wrote, byte for byte, and says where on stderr", async () => {
    const out = path.join(dir, "eval");
    const ran = await semlaIn(dir, bare(), "eval", "--world", "tiny", "--seed", "5", "--methods", "zeroshot", "--data-dir", path.join(dir, "world"), "--out", out, "--json");
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(await readFile(path.join(out, "results.json"), "utf8"));
    expect(JSON.parse(ran.stdout)).toMatchObject({ world: "world-tiny", seed: 5 });
    expect(ran.stderr.endsWith(`written to ${out}\n`)).toBe(true);
  }, 120_000);
});

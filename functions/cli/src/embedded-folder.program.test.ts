import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LOCK_FILE, openRegistry, parseConfig, SERVER_FILE, type ServerFile } from "@semla/api";
import { bytesSource, peft, randomAdapter } from "@semla/core";
import { openModelPack } from "@semla/models";
import { hashApiKey, newAdapterOf } from "@semla/registry";
import { sha256Hex } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_TENANT } from "./embedded/local-key.js";
import { freePort } from "./testing/serve.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const BIN = path.join(ROOT, "functions/cli/bin/semla.js");
const MAIN = path.join(ROOT, "functions/cli/src/main.ts");

/**
 * The embedded data folder shared by processes, as a user meets it: `semla serve` in one terminal,
 * `semla keys` / `semla sweep` / a second `semla serve` in another. Real processes: the lock is
 * about them. The tiny world keeps the first start to seconds.
 */
describe("the embedded data folder across processes", () => {
  let dir: string;
  let server: ChildProcess;
  let running: ServerFile;
  let env: NodeJS.ProcessEnv;
  let key: string;
  let keyId: string;

  /** The `semla` command as installed (bin/semla.js); rejects with {code, stderr} on a non-zero exit. */
  const semla = (...args: string[]) => run(process.execPath, [BIN, ...args], { env, cwd: ROOT, timeout: 60_000 });
  const libraries = (apiKey: string) => fetch(`${running.url}/v1/libraries`, { headers: { authorization: `Bearer ${apiKey}` } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-folder-"));
    const { SEMLA_DATABASE_URL, SEMLA_BUCKET, SEMLA_URL, SEMLA_API_KEY, SEMLA_ADMIN_TOKEN, ...rest } = process.env;
    env = { ...rest, SEMLA_DATA_DIR: dir, SEMLA_WORLD: "tiny", SEMLA_LOG_LEVEL: "error" };
    // The server itself without the bin's wrapper process, so its pid is the lock holder's.
    server = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--port", String(await freePort())], { env, cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    server.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("exit", (code) => reject(new Error(`semla serve exited ${code}: ${stderr}`)));
      server.stderr!.on("data", () => void (stderr.includes("ready in") && resolve()));
    });
    running = JSON.parse(await readFile(path.join(dir, SERVER_FILE), "utf8")) as ServerFile;
  }, 180_000);
  afterAll(async () => {
    if (server.exitCode === null) server.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("a second semla serve on the folder refuses at once, naming the running server, exits 1, and leaves its server.json", async () => {
    expect(running.pid).toBe(server.pid);
    const before = await readFile(path.join(dir, SERVER_FILE), "utf8");
    const refused = await semla("serve", "--port", String(await freePort())).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toBe(`semla: the data folder ${dir} is in use by a semla server (pid ${server.pid}, ${running.url}): stop it first, or use another --data-dir (embedded.folder-locked)\n`);
    expect(await readFile(path.join(dir, SERVER_FILE), "utf8")).toBe(before);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it("semla keys create, while the server runs, prints a key the server accepts", async () => {
    const { stdout, stderr } = await semla("keys", "create", "acme", "--name", "ci");
    key = stdout.trim();
    keyId = /^API key (\S+) for tenant acme, through the server at /.exec(stderr)![1]!;
    expect(key).toMatch(/^semla_[A-Za-z0-9_-]{43}$/);
    expect((await libraries(key)).status).toBe(200);
  }, 60_000);

  it("semla keys ls lists it with its tenant and name, never the key or its hash", async () => {
    const { stdout } = await semla("keys", "ls", "--tenant", "acme");
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID +TENANT +NAME +CREATED +LAST USED +REVOKED$/);
    expect(lines.slice(2).map((line) => line.split(/ {2,}/).slice(0, 3))).toEqual([[keyId, "acme", "ci"]]);
    expect(lines[2]).toMatch(/ -$/); // not revoked
    expect(stdout).not.toContain(key);
    expect(stdout).not.toContain(hashApiKey(key));
    const listed = JSON.parse((await semla("keys", "ls", "--tenant", "acme", "--json")).stdout) as { id: string; tenant: string; name: string; revokedAt: string | null }[];
    expect(listed.map((k) => [k.id, k.tenant, k.name, k.revokedAt])).toEqual([[keyId, "acme", "ci", null]]);
  }, 60_000);

  it("semla keys revoke makes the next request with the key answer 401", async () => {
    expect((await libraries(key)).status).toBe(200); // cached by the server now
    const { stdout } = await semla("keys", "revoke", keyId);
    expect(stdout).toMatch(new RegExp(`^revoked API key ${keyId} of tenant acme at \\S+: the server refuses it from now on\\n$`));
    const refused = await libraries(key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("api.invalid-key");
  }, 60_000);

  it("on SIGTERM the server exits 0 and removes its own server.json and lock", async () => {
    const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);
    const left = await readdir(dir);
    expect(left).not.toContain(SERVER_FILE);
    expect(left).not.toContain(LOCK_FILE);
  }, 60_000);

  it("semla sweep, with no server, takes over a dead process's lock and removes the pending row an interrupted upload left", async () => {
    // A registration interrupted between its object and `active` (an outage, a crash).
    const config = parseConfig(env);
    const registry = await openRegistry(config);
    let id = "";
    let objectKey = "";
    try {
      const models = await openModelPack(path.join(dir, "world", "world-tiny-seed7", "models"));
      const modules = models.segmenter!.loraModules;
      const files = peft.writePeftAdapter(randomAdapter({ modules, rank: 2, seed: 3, baseModel: "semla/world" }));
      const adapter = await peft.readLoraAdapter({ config: files.config, weights: bytesSource(files.weights) });
      const sha256 = sha256Hex(files.weights);
      const centroid = new Float32Array(models.imageEncoder.dimension).fill(0.1);
      const pending = await registry.index.insertPending(
        newAdapterOf({ libraryId: running.libraryId, name: "interrupted", adapter, byteSize: files.weights.byteLength, sha256, centroid, sampleCount: null }),
      );
      id = pending.id;
      await registry.store.put(pending.objectKey, files.weights);
      objectKey = pending.objectKey;
      expect((await registry.index.getAdapter(LOCAL_TENANT, id))?.status).toBe("pending");
    } finally {
      await registry.index.close();
    }
    // A process that held the folder and died without releasing it.
    const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString());
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: dead, hostname: hostname(), startedAt: "2020-01-01T00:00:00.000Z", nonce: "crashed" }));

    // Just now, so: older than 0 minutes (the default 15 spares uploads in flight).
    const { stdout } = await semla("sweep", "--older-than", "0");
    expect(stdout).toBe(`swept in ${dir}: removed 1 pending adapter row(s) and 0 orphan object(s) older than 0 min\n`);
    expect(await readdir(dir)).not.toContain(LOCK_FILE);
    const after = await openRegistry(config);
    try {
      expect(await after.index.getAdapter(LOCAL_TENANT, id)).toBeUndefined();
      expect(await after.store.head(objectKey)).toBeUndefined();
    } finally {
      await after.index.close();
    }
  }, 90_000);
});

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const TSX = createRequire(import.meta.url).resolve("tsx/cli");

function start(args: readonly string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [TSX, MAIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("main.ts serve (the container command)", () => {
  let root: string;
  let server: ReturnType<typeof start>;
  let url: string;

  /** The lines that are JSON objects (all of them, the test checks), parsed. */
  const logLines = (output: string) =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-main-"));
    server = start(["serve", "--port", "0", "--host", "127.0.0.1"], {
      SM_MODEL_DIR: path.join(root, "model"),
      SEMLA_MODELS_CACHE: path.join(root, "models"),
      SEMLA_EXECUTION_PROVIDER: "cpu",
      SEMLA_DATA_DIR: root,
    });
    const port = await until("the listening line", () => logLines(server.output()).find((line) => line.msg === "listening")?.port).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the server said:\n${server.output()}`);
    });
    url = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
    await rm(root, { recursive: true, force: true });
  });

  it("answers /ping 200 once the models are loaded, refuses bad input, and stops on SIGTERM", async () => {
    await until("/ping 200", async () => ((await fetch(`${url}/ping`)).status === 200 ? true : undefined));
    // Every line is JSON (the API's shape): the messages, and what they are about as fields.
    const lines = logLines(server.output());
    expect(server.output().trim().split("\n")).toHaveLength(lines.length);
    expect(lines.map((line) => line.msg)).toContain(
      `models: ${path.join(root, "model")} holds no semla-models.json; using the generated tiny models in ${path.join(root, "models")} (generating them if needed)`,
    );
    const ready = lines.find((line) => line.msg === "ready");
    expect(ready).toMatchObject({ level: "info", executionProviders: ["cpu"], ms: expect.any(Number) });
    expect(ready?.models).toMatch(/^semla generated tiny: image encoder tiny\/clip-vision@[0-9a-f]{16} \(16-d\), text encoder, segmenter tiny\/segmentation@[0-9a-f]{16} \(12 LoRA modules\)$/);

    const bad = await fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": "application/x-semla-invocation" }, body: new Uint8Array([1, 2]) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("transport.invalid-invocation");
    expect((await fetch(`${url}/ping`)).status).toBe(200);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 120_000);

  it("exits 2 with the usage on a bad flag", async () => {
    const run = start(["serve", "--bogus"], {});
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain("usage: endpoint serve");
  }, 60_000);
});

import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, the CLI's bin and its source main (the programs under test). */
export const ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
export const BIN = path.join(ROOT, "functions/cli/bin/semla.js");
export const MAIN = path.join(ROOT, "functions/cli/src/main.ts");

/** A loopback port nobody listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface ServingProcess {
  readonly child: ChildProcess;
  /** SIGTERM, then waits for the process to exit (SIGKILL after 10 s): its data folder is still being written until then. */
  stop(): Promise<void>;
  /** What it printed so far (the usage examples go to stdout). */
  stdout(): string;
  stderr(): string;
}

/** `semla serve` as its own process (no bin wrapper: its pid holds the folder's lock), resolved once it says "ready in". */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServingProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--port", String(await freePort()), ...args], { env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`semla serve exited ${code}: ${err}`)));
    child.stderr!.on("data", () => void (err.includes("ready in") && resolve()));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return { child, stop, stdout: () => out, stderr: () => err };
}

/** The environment of a process on the embedded default in `dataDir`: nothing of a deployment's leaks in. */
export function embeddedEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { SEMLA_DATABASE_URL, SEMLA_BUCKET, SEMLA_URL, SEMLA_API_KEY, SEMLA_ADMIN_TOKEN, ...rest } = process.env;
  return { ...rest, SEMLA_DATA_DIR: dataDir, SEMLA_LOG_LEVEL: "error", ...extra };
}

import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

/**
 * vitest globalSetup: a throwaway PostgreSQL + pgvector cluster (scripts/services/postgres.sh),
 * its URL provided to tests as `postgresUrl`. Test files do not share a database: each creates
 * its own from this URL (packages/registry/src/testing/scratch-database.ts), so files run in parallel.
 *
 * postgres.sh keeps one cluster per checkout, so vitest runs started side by side in one checkout
 * share it: each registers under .cache/services/postgres.users/, and the last one out stops it.
 * Without that, one run's teardown would stop the cluster under another's tests.
 */
declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const script = join(root, "scripts/services/postgres.sh");
const stateDir = join(root, ".cache/services");
const lockDir = join(stateDir, "postgres.lock");
const usersDir = join(stateDir, "postgres.users");

/** postgres.sh prints only the URL on stdout; its log goes to stderr. */
async function postgres(command: "start" | "stop"): Promise<string> {
  const { stdout } = await run("bash", [script, command], { maxBuffer: 1 << 20 });
  return stdout.trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock left by a run that died, or held longer than a cluster takes to start (60 s), is broken. */
function staleLock(): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, "pid"), "utf8"));
    return !alive(pid) || Date.now() - statSync(lockDir).mtimeMs > 120_000;
  } catch {
    // No pid yet: the holder is between mkdir and writing it, unless that was long ago.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 5_000;
    } catch {
      return false;
    }
  }
}

/** mkdir is atomic: whoever creates the directory holds the lock. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(usersDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (staleLock()) rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  writeFileSync(join(lockDir, "pid"), String(process.pid));
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Runs still using the cluster, forgetting those that died without a teardown. */
function liveUsers(): number[] {
  return readdirSync(usersDir)
    .map(Number)
    .filter((pid) => {
      if (alive(pid)) return true;
      rmSync(join(usersDir, String(pid)), { force: true });
      return false;
    });
}

/**
 * The shared throwaway cluster for this process: started by the first user, stopped by the last
 * (test runs and benchmarks side by side each register as users, so none stops another's cluster).
 */
export async function acquirePostgres(): Promise<{ url: string; release(): Promise<void> }> {
  const me = join(usersDir, String(process.pid));
  const url = await withLock(async () => {
    writeFileSync(me, "");
    try {
      // Prints the running cluster's URL when another run started it.
      return await postgres("start");
    } catch (error) {
      rmSync(me, { force: true });
      throw error;
    }
  });
  if (!url.startsWith("postgres://")) throw new Error(`postgres.sh start printed ${JSON.stringify(url)}, not a URL`);
  return {
    url,
    release: () =>
      withLock(async () => {
        rmSync(me, { force: true });
        if (liveUsers().length === 0) await postgres("stop");
      }),
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await acquirePostgres();
  project.provide("postgresUrl", postgres.url);
  return () => postgres.release();
}

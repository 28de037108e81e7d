import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rmdir, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { type ErrorKind, kindOfRule, SemlaError } from "@semla/core";

/**
 * The embedded data folder's lock. PGlite is one process's database: a second process opening the
 * same folder writes a copy of it that the first never sees (and may overwrite). So whoever opens
 * the embedded registry (the server, `semla keys`, `semla sweep`, `semla eval --dataset`) holds this
 * lock, and a second one is refused at once, naming the holder.
 *
 * Not proper-lockfile: it decides staleness by the lock's mtime, which the holder must refresh on
 * a timer. A crashed server would then block restarts for the whole stale period, and a main thread
 * busy longer than that (the first start fits the demo world for seconds) would "compromise" a live
 * lock. The folder is on this machine, so the holder's pid says exactly whether it is alive.
 */
export const LOCK_FILE = "semla.lock";

export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** Tells this holding apart from an earlier one of a recycled pid. */
  readonly nonce: string;
}

export interface FolderLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still this holding's (never another's). */
  release(): Promise<void>;
}

export type FolderLockRule = "folder-locked" | "lock-unreadable" | "lock-contended";

const KINDS: Partial<Record<FolderLockRule, ErrorKind>> = { "folder-locked": "conflict", "lock-unreadable": "conflict", "lock-contended": "conflict" };

export class FolderLockError extends SemlaError {
  constructor(rule: FolderLockRule, message: string, details: Record<string, unknown> = {}) {
    super(`embedded.${rule}`, message, details, kindOfRule(KINDS, rule));
  }
}

/** Whether the process is alive (EPERM: alive, another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(value.pid) && typeof value.hostname === "string" && typeof value.startedAt === "string" && typeof value.nonce === "string") return value as LockHolder;
  } catch {
    // not JSON: reported below
  }
  return undefined;
}

/** A holder on another machine (a shared folder) cannot be checked: it counts as alive. */
function holderAlive(holder: LockHolder): boolean {
  return holder.hostname !== hostname() || isAlive(holder.pid);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The live holder of the folder's lock, if any. */
export async function lockHolderOf(dataDir: string): Promise<LockHolder | undefined> {
  const text = await readText(path.join(path.resolve(dataDir), LOCK_FILE));
  const holder = text === undefined ? undefined : parseHolder(text);
  return holder && holderAlive(holder) ? holder : undefined;
}

/** The file appears complete or not at all: written aside, then hard-linked into place (fails if present). */
async function createExclusive(file: string, text: string): Promise<boolean> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(aside, text, { mode: 0o644 });
  try {
    await link(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/**
 * Removes a dead holder's lock. Takers serialise on a takeover directory and, holding it, check the
 * lock is still the dead one before removing it: only the owner or a taker holding the directory
 * removes a lock, so a live holding that replaced the dead one is never removed. false when another
 * taker is at it.
 */
async function removeStale(file: string, staleText: string): Promise<boolean> {
  const mutex = `${file}.takeover`;
  try {
    await mkdir(mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    if ((await readText(file)) === staleText) await unlink(file);
    return true;
  } finally {
    await rmdir(mutex);
  }
}

/**
 * Locks the data folder for this process, taking over a lock whose holder died; refuses with
 * `describe(holder)` (say who it is: "a semla server (pid 12, http://…)") when a live one holds it.
 */
export async function lockDataFolder(dataDir: string, describe: (holder: LockHolder) => Promise<string> = async (h) => `process ${h.pid}`): Promise<FolderLock> {
  const folder = path.resolve(dataDir);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), nonce: randomBytes(8).toString("hex") };
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await createExclusive(file, text)) {
      return {
        file,
        holder,
        async release() {
          if ((await readText(file)) === text) await unlink(file).catch(() => undefined);
        },
      };
    }
    const found = await readText(file);
    if (found === undefined) continue; // released meanwhile
    const other = parseHolder(found);
    if (!other) throw new FolderLockError("lock-unreadable", `the data folder ${folder} has a lock that is not semla's (${file}): remove it if no semla process uses this folder`, { file });
    if (holderAlive(other)) {
      const remedy = other.hostname === hostname() ? "stop it first, or use another --data-dir" : `on host ${other.hostname}; if it is gone, remove ${file}`;
      throw new FolderLockError("folder-locked", `the data folder ${folder} is in use by ${await describe(other)}: ${remedy}`, {
        file,
        pid: other.pid,
        hostname: other.hostname,
        since: other.startedAt,
      });
    }
    if (!(await removeStale(file, found))) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new FolderLockError(
    "lock-contended",
    `could not lock the data folder ${folder}: other processes keep taking it over (a leftover ${file}.takeover directory can be removed if no semla process is starting)`,
    { file },
  );
}

import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { LOCK_FILE, type LockHolder, lockHolderOf } from "./folder-lock.js";

/** Where a running embedded server says it is, for the CLI. */
export const SERVER_FILE = "server.json";

export interface ServerFile {
  readonly url: string;
  readonly pid: number;
  readonly libraryId: string;
}

export async function readServerFile(dataDir: string): Promise<ServerFile | undefined> {
  const text = await readFile(path.join(path.resolve(dataDir), SERVER_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ServerFile>;
    return typeof value.url === "string" && Number.isInteger(value.pid) ? (value as ServerFile) : undefined;
  } catch {
    return undefined;
  }
}

export async function writeServerFile(dataDir: string, server: ServerFile): Promise<void> {
  await writeFile(path.join(path.resolve(dataDir), SERVER_FILE), `${JSON.stringify(server)}\n`);
}

/** Removes server.json if it is this server's (a file another server wrote is left alone). */
export async function removeServerFile(dataDir: string, server: Pick<ServerFile, "pid" | "url">): Promise<void> {
  const found = await readServerFile(dataDir);
  if (found?.pid === server.pid && found.url === server.url) await rm(path.join(path.resolve(dataDir), SERVER_FILE), { force: true });
}

/** The embedded server running on the folder: the live holder of its lock, when that is the server of server.json. */
export async function runningServer(dataDir: string): Promise<ServerFile | undefined> {
  const holder = await lockHolderOf(dataDir);
  const server = holder && (await readServerFile(dataDir));
  return server && server.pid === holder.pid ? server : undefined;
}

/** Who holds the folder, in words, for the refusal: the server with its URL when it is one. */
export async function describeHolder(dataDir: string, holder: LockHolder): Promise<string> {
  const server = await readServerFile(dataDir);
  return server?.pid === holder.pid
    ? `a semla server (pid ${holder.pid}, ${server.url})`
    : `process ${holder.pid} (since ${holder.startedAt}; if that is no semla process, remove ${path.join(path.resolve(dataDir), LOCK_FILE)})`;
}

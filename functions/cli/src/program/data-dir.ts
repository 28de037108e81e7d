/**
 * Which data folder (the embedded default's: its database, blobs, server.json and keys) a command
 * uses when SEMLA_DATA_DIR is not set. Not the current directory's `.semla` alone: `npm start` keeps
 * it in the checkout, and the examples it prints must work from any directory. So: the nearest
 * `.semla` folder from the current directory up (a project of one's own), else the checkout's (where
 * `npm start` keeps it, found from this package's location).
 */
import { statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const DATA_DIR_NAME = ".semla";

/** The checkout (or installation) this CLI runs from: functions/cli/src/program/ → the root. */
export const CHECKOUT_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

const isFolder = (dir: string) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;

/** SEMLA_DATA_DIR (against `cwd`), else the nearest `.semla` from `cwd` up, else the checkout's. */
export function resolveDataDir(env: Readonly<Record<string, string | undefined>>, cwd: string, checkout: string = CHECKOUT_ROOT): string {
  const set = env.SEMLA_DATA_DIR?.trim();
  if (set) return path.resolve(cwd, set);
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (isFolder(path.join(dir, DATA_DIR_NAME))) return path.join(dir, DATA_DIR_NAME);
    if (path.dirname(dir) === dir) break;
  }
  return path.join(path.resolve(checkout), DATA_DIR_NAME);
}

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ApiKeyStore } from "@semla/registry";

/** The embedded default's own tenant. */
export const LOCAL_TENANT = "local";
export const LOCAL_KEY_FILE = "api-key";

/**
 * The local tenant's API key. The database keeps only its hash, so the clear key is kept in the
 * data folder (mode 600) for the CLI and the printed examples: on this machine only, like a
 * database's local socket. A key that no longer authenticates is replaced.
 */
export async function ensureLocalKey(dataDir: string, keys: ApiKeyStore): Promise<string> {
  const file = path.join(dataDir, LOCAL_KEY_FILE);
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing && (await keys.authenticate(existing))?.tenant === LOCAL_TENANT) return existing;
  const { key } = await keys.create(LOCAL_TENANT, "embedded default");
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * The embedded server's admin token, kept in the data folder (mode 600) like the local key: the
 * CLI on this machine manages keys and sweeps through the running server with it. The server keeps
 * only its sha256 (SEMLA_ADMIN_TOKEN_SHA256).
 */
export const ADMIN_TOKEN_FILE = "admin-token";

export async function readAdminToken(dataDir: string): Promise<string | undefined> {
  const token = (await readFile(path.join(path.resolve(dataDir), ADMIN_TOKEN_FILE), "utf8").catch(() => "")).trim();
  return token.length >= 32 ? token : undefined;
}

export async function ensureAdminToken(dataDir: string): Promise<string> {
  const existing = await readAdminToken(dataDir);
  if (existing) return existing;
  const token = `semla_admin_${randomBytes(32).toString("base64url")}`;
  await writeFile(path.join(path.resolve(dataDir), ADMIN_TOKEN_FILE), `${token}\n`, { mode: 0o600 });
  return token;
}

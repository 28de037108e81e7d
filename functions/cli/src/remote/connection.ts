import { readFile } from "node:fs/promises";
import path from "node:path";
import { type Client, createClient, runningServer } from "@semla/api";
import { SemlaError } from "@semla/core";
import { LOCAL_KEY_FILE } from "../embedded/local-key.js";
import { resolveDataDir } from "../program/data-dir.js";
import { UnreachableError } from "../program/failure.js";
import { putWithProgress } from "./transfer.js";

export interface Connection {
  readonly url: string;
  readonly apiKey: string;
  readonly client: Client;
}

/**
 * Which API the CLI talks to: --url/--api-key, else SEMLA_URL/SEMLA_API_KEY (a deployed API), else
 * the embedded default running from SEMLA_DATA_DIR (its server.json, while it holds the folder, and local key).
 */
export async function connect(flags: { url?: string | undefined; apiKey?: string | undefined }, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  let url = flags.url ?? env.SEMLA_URL;
  let apiKey = flags.apiKey ?? env.SEMLA_API_KEY;
  const dataDir = resolveDataDir(env, process.cwd());
  if (!url || !apiKey) {
    // server.json counts only while its server holds the folder's lock (a crashed one's is stale).
    const server = await runningServer(dataDir);
    url ??= server?.url;
    apiKey ??= (await readFile(path.join(dataDir, LOCAL_KEY_FILE), "utf8").catch(() => "")).trim() || undefined;
  }
  if (!url) {
    throw new SemlaError("cli.no-server", `no API to talk to: none runs from the data folder ${dataDir}; start it (npm start in the checkout, or semla serve) or set SEMLA_URL and SEMLA_API_KEY`, {
      dataDir,
    });
  }
  if (!apiKey) throw new SemlaError("cli.no-key", `no API key for ${url}: set SEMLA_API_KEY or pass --api-key`);
  return { url, apiKey, client: createClient(url, apiKey, { fetch: reaching(url) }) };
}

/** fetch, with a request that reaches nothing (refused, no such host: undici's "fetch failed") as an UnreachableError naming `url`. */
export function reaching(url: string, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await inner(input, init);
    } catch (error) {
      if (error instanceof TypeError && error.message === "fetch failed") throw new UnreachableError(url, error);
      throw error;
    }
  };
}

/** The body of a successful reply, or the API's error as a SemlaError (printed as "message (code)"). */
export async function expectOk<T>(response: { ok: boolean; status: number; json(): Promise<T> }): Promise<Exclude<T, { error: unknown }>> {
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    throw new SemlaError(error?.code ?? `http.${response.status}`, error?.message ?? `the API answered ${response.status}`, error?.details ?? {});
  }
  return body as Exclude<T, { error: unknown }>;
}

/** Largest image sent inline (base64 grows it by 4/3 under the 6 MB limit); larger ones go by presigned upload. */
const INLINE_IMAGE_BYTES = 4 * 1024 * 1024;

export async function imageField(connection: Connection, bytes: Uint8Array): Promise<{ image: string } | { imageUpload: string }> {
  if (bytes.byteLength <= INLINE_IMAGE_BYTES) return { image: Buffer.from(bytes).toString("base64") };
  const grant = await expectOk(await connection.client.v1.uploads.images.$post({ json: { bytes: bytes.byteLength } }));
  await putPresigned(grant.upload, bytes);
  return { imageUpload: grant.uploadId };
}

export async function putPresigned(upload: { url: string; headers: Record<string, string> }, bytes: Uint8Array): Promise<void> {
  const response = await putWithProgress(upload.url, upload.headers, bytes);
  if (response.status < 200 || response.status >= 300) throw new SemlaError("cli.upload-failed", `the upload was refused (${response.status}): ${response.text.slice(0, 200)}`);
}

import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createFsBlobStore, createPgAdapterIndex, createPgliteAdapterIndex, createS3BlobStore, type BlobStore, type DrizzleAdapterIndex } from "@semla/registry";
import type { ApiConfig } from "./config.js";

/*
 * Opening the registry from the configuration, apart from the services: the scheduled sweep
 * (sweep/lambda.ts) opens it too, and must not pull in the models and ONNX Runtime.
 */

/** The registry's two stores, opened from the configuration (PostgreSQL | PGlite, S3 | filesystem). */
export interface Registry {
  readonly index: DrizzleAdapterIndex;
  readonly store: BlobStore;
  readonly presignSecret?: string;
}

/** The embedded store's presign key, kept with its data so URLs outlive a restart. */
async function presignSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "presign.secret");
  const existing = await readFile(file, "utf8").catch(() => undefined);
  if (existing && existing.trim().length >= 32) return existing.trim();
  const secret = randomBytes(32).toString("hex");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

export function publicUrlOf(config: ApiConfig): string {
  return config.SEMLA_PUBLIC_URL ?? `http://${config.SEMLA_HOST}:${config.SEMLA_PORT}`;
}

export async function openRegistry(config: ApiConfig, publicUrl: string = publicUrlOf(config)): Promise<Registry> {
  const { store, presignSecret: secret } = await openStore(config, publicUrl);
  const index = config.SEMLA_DATABASE_URL
    ? await createPgAdapterIndex({
        connectionString: config.SEMLA_DATABASE_URL,
        migrate: config.SEMLA_MIGRATE,
        connectionTimeoutMs: config.SEMLA_DATABASE_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: config.SEMLA_DATABASE_STATEMENT_TIMEOUT_MS,
      })
    : await createPgliteAdapterIndex({ dataDir: path.join(path.resolve(config.SEMLA_DATA_DIR), "db") });
  return { index, store, ...(secret ? { presignSecret: secret } : {}) };
}

async function openStore(config: ApiConfig, publicUrl: string): Promise<{ store: BlobStore; presignSecret?: string }> {
  if (config.SEMLA_BUCKET) {
    const endpoint = config.SEMLA_S3_ENDPOINT;
    // The store makes its client, with bounded connect and request times (a store that is down never hangs a request).
    return { store: createS3BlobStore({ bucket: config.SEMLA_BUCKET, region: config.AWS_REGION, ...(endpoint ? { endpoint, forcePathStyle: true } : {}) }) };
  }
  const dataDir = path.resolve(config.SEMLA_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const secret = await presignSecret(dataDir);
  return { store: createFsBlobStore({ root: path.join(dataDir, "blobs"), presign: { baseUrl: publicUrl, secret } }), presignSecret: secret };
}


import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createPgAdapterIndex, createPgliteAdapterIndex, type DrizzleAdapterIndex } from "@semla/registry";
import { createFsBlobStore, createS3BlobStore, type BlobStore } from "@semla/storage";
import type { ApiConfig } from "./config.js";
import { lockDataFolder } from "./embedded/folder-lock.js";
import { describeHolder } from "./embedded/server-file.js";

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
  if (config.SEMLA_DATABASE_URL) {
    const { store, presignSecret: secret } = await openStore(config, publicUrl);
    const index = await createPgAdapterIndex({
      connectionString: config.SEMLA_DATABASE_URL,
      migrate: config.SEMLA_MIGRATE,
      connectionTimeoutMs: config.SEMLA_DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.SEMLA_DATABASE_STATEMENT_TIMEOUT_MS,
    });
    return { index, store, ...(secret ? { presignSecret: secret } : {}) };
  }
  // PGlite is one process's database: the data folder is locked while it is open (closing the index releases it).
  const dataDir = path.resolve(config.SEMLA_DATA_DIR);
  const lock = await lockDataFolder(dataDir, (holder) => describeHolder(dataDir, holder));
  try {
    const { store, presignSecret: secret } = await openStore(config, publicUrl);
    const index = await createPgliteAdapterIndex({ dataDir: path.join(dataDir, "db") });
    const close = async () => {
      try {
        await index.close();
      } finally {
        await lock.release();
      }
    };
    return { index: { ...index, close }, store, ...(secret ? { presignSecret: secret } : {}) };
  } catch (error) {
    await lock.release();
    throw error;
  }
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


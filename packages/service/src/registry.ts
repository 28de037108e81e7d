import path from "node:path";
import { createDataApiAdapterIndex, createPgAdapterIndex, createPgliteAdapterIndex, type DrizzleAdapterIndex } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import type { ServiceConfig } from "./config.js";
import { lockDataFolder } from "./data-folder/folder-lock.js";
import { describeHolder } from "./data-folder/server-file.js";
import { openServiceStore } from "./store.js";

/*
 * Opening the registry from the configuration, apart from the services: the scheduled sweep
 * (functions/api/src/sweep/lambda.ts, through @semla/service/registry) opens it too, and must not pull in the models and ONNX Runtime.
 */

/** The registry's two stores, opened from the configuration (PostgreSQL | Aurora's Data API | PGlite, S3 | filesystem). */
export interface Registry {
  readonly index: DrizzleAdapterIndex;
  readonly store: BlobStore;
  readonly presignSecret?: string;
}

export function publicUrlOf(config: ServiceConfig): string {
  return config.SEMLA_PUBLIC_URL ?? `http://${config.SEMLA_HOST}:${config.SEMLA_PORT}`;
}

export async function openRegistry(config: ServiceConfig, publicUrl: string = publicUrlOf(config)): Promise<Registry> {
  if (config.SEMLA_DATABASE_URL) {
    const { store, presignSecret: secret } = await openServiceStore(config, publicUrl);
    const index = await createPgAdapterIndex({
      connectionString: config.SEMLA_DATABASE_URL,
      migrate: config.SEMLA_MIGRATE,
      connectionTimeoutMs: config.SEMLA_DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.SEMLA_DATABASE_STATEMENT_TIMEOUT_MS,
    });
    return { index, store, ...(secret ? { presignSecret: secret } : {}) };
  }
  if (config.SEMLA_DATA_API_RESOURCE_ARN && config.SEMLA_DATA_API_SECRET_ARN && config.SEMLA_DATA_API_DATABASE) {
    const { store, presignSecret: secret } = await openServiceStore(config, publicUrl);
    const index = await createDataApiAdapterIndex({
      resourceArn: config.SEMLA_DATA_API_RESOURCE_ARN,
      secretArn: config.SEMLA_DATA_API_SECRET_ARN,
      database: config.SEMLA_DATA_API_DATABASE,
      region: config.AWS_REGION,
      ...(config.SEMLA_DATA_API_URL ? { endpoint: config.SEMLA_DATA_API_URL } : {}),
      migrate: config.SEMLA_MIGRATE,
    });
    return { index, store, ...(secret ? { presignSecret: secret } : {}) };
  }
  // PGlite is one process's database: the data folder is locked while it is open (closing the index releases it).
  const dataDir = path.resolve(config.SEMLA_DATA_DIR);
  const lock = await lockDataFolder(dataDir, (holder) => describeHolder(dataDir, holder));
  try {
    const { store, presignSecret: secret } = await openServiceStore(config, publicUrl);
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

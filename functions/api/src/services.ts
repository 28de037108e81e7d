import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { centroidOfImages, ClipEmbedder, createAdapterResolver, createLocalBackend, createSageMakerBackend, OnnxSegmenter, type InferenceBackend, type ModelFiles } from "@semla/inference";
import { createPipeline } from "@semla/pipeline";
import {
  AdapterCache,
  createApiKeyStore,
  createContributionStore,
  createFsBlobStore,
  createPgAdapterIndex,
  createPgliteAdapterIndex,
  createS3BlobStore,
  type BlobStore,
  type DrizzleAdapterIndex,
} from "@semla/registry";
import type { AppDeps } from "./app.js";
import type { ApiConfig } from "./config.js";
import { createLogger, type Logger } from "./http/logger.js";
import { locateModels } from "./models/locate.js";
import { lockDataFolder } from "./embedded/folder-lock.js";
import { describeHolder } from "./embedded/server-file.js";

export interface Services extends AppDeps {
  readonly index: DrizzleAdapterIndex;
  readonly models: ModelFiles;
  close(): Promise<void>;
}

/** The registry's two stores, opened from the configuration (PostgreSQL | PGlite, S3 | filesystem). */
export interface Registry {
  readonly index: DrizzleAdapterIndex;
  readonly store: BlobStore;
  readonly presignSecret?: string;
}

export interface ServiceOptions {
  /** An opened registry to run on (the embedded default seeds it first); else opened here. */
  readonly registry?: Registry;
  /** Models to run instead of locating them (the embedded default passes its demo library's). */
  readonly models?: ModelFiles;
  readonly logger?: Logger;
  /** Where the API is reached: the filesystem store's presigned URLs point at it. Default publicUrlOf(config). */
  readonly publicUrl?: string;
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
    const index = await createPgAdapterIndex({ connectionString: config.SEMLA_DATABASE_URL, migrate: config.SEMLA_MIGRATE });
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
    const client = new S3Client({ region: config.AWS_REGION, ...(endpoint ? { endpoint, forcePathStyle: true } : {}) });
    return { store: createS3BlobStore({ client, bucket: config.SEMLA_BUCKET }) };
  }
  const dataDir = path.resolve(config.SEMLA_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const secret = await presignSecret(dataDir);
  return { store: createFsBlobStore({ root: path.join(dataDir, "blobs"), presign: { baseUrl: publicUrl, secret } }), presignSecret: secret };
}

/** The SageMaker backend the configuration names (SEMLA_SAGEMAKER_*; the schema requires the endpoint). */
export function openSageMakerBackend(config: ApiConfig): InferenceBackend {
  return createSageMakerBackend({
    endpointName: config.SEMLA_SAGEMAKER_ENDPOINT as string,
    region: config.AWS_REGION,
    ...(config.SEMLA_SAGEMAKER_INFERENCE_COMPONENT ? { inferenceComponentName: config.SEMLA_SAGEMAKER_INFERENCE_COMPONENT } : {}),
    ...(config.SEMLA_SAGEMAKER_URL ? { endpoint: config.SEMLA_SAGEMAKER_URL } : {}),
  });
}

async function openBackend(config: ApiConfig, files: ModelFiles, store: BlobStore): Promise<InferenceBackend> {
  if (config.SEMLA_BACKEND === "sagemaker") return openSageMakerBackend(config);
  const segmenter = await OnnxSegmenter.fromModelFiles(files, { executionProviders: ["cpu"] });
  return createLocalBackend({ segmenter, resolver: createAdapterResolver({ store }) });
}

/** Everything the app runs on, from the configuration: production services or the embedded ones. */
export async function createServices(config: ApiConfig, options: ServiceOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.SEMLA_LOG_LEVEL);
  const { index, store, presignSecret: secret } = options.registry ?? (await openRegistry(config, options.publicUrl ?? publicUrlOf(config)));
  const closers: (() => Promise<void>)[] = [() => index.close()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const models = options.models ?? (await locateModels({ store, prefix: config.SEMLA_MODELS_PREFIX, preset: config.SEMLA_MODEL_PRESET, logger }));
    const embedder = await ClipEmbedder.fromModelFiles(models);
    closers.push(() => embedder.close());
    const backend = await openBackend(config, models, store);
    closers.push(() => backend.close());
    const pipeline = createPipeline({ index, adapters: new AdapterCache(store), embedder, backend, store });
    return {
      index,
      store,
      models,
      apiKeys: createApiKeyStore(index.db),
      contributions: createContributionStore(index.db),
      logger,
      bodyLimitBytes: config.SEMLA_BODY_LIMIT_BYTES,
      ...(secret ? { presignSecret: secret } : {}),
      ...(config.SEMLA_ADMIN_TOKEN_SHA256 ? { adminTokenSha256: config.SEMLA_ADMIN_TOKEN_SHA256 } : {}),
      pipeline,
      centroidOfImages: (images) => centroidOfImages(embedder, images, { strict: true }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

import { createAdapters, type Adapters } from "@semla/adapters";
import { centroidOfImages, ClipEmbedder, createLocalBackend, createSageMakerBackend, OnnxSegmenter, type InferenceBackend } from "@semla/inference";
import type { ModelFiles } from "@semla/models";
import { createPipeline } from "@semla/pipeline";
import { createApiKeyStore, createContributionStore, type DrizzleAdapterIndex } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import type { AppDeps } from "./app.js";
import type { ApiConfig } from "./config.js";
import { createLogger, type Logger } from "./http/logger.js";
import { locateModels } from "./models/locate.js";
import { openRegistry, publicUrlOf, type Registry } from "./registry.js";

export { openRegistry, publicUrlOf, type Registry };

export interface Services extends AppDeps {
  readonly index: DrizzleAdapterIndex;
  readonly models: ModelFiles;
  close(): Promise<void>;
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

/**
 * The SageMaker backend the configuration names (SEMLA_SAGEMAKER_*; the schema requires the
 * endpoint), loading the mixtures' sources through the process's adapters and writing fused
 * objects to the store the endpoint reads.
 */
export function openSageMakerBackend(config: ApiConfig, { adapters, store }: { adapters: Adapters; store: BlobStore }): InferenceBackend {
  return createSageMakerBackend({
    endpointName: config.SEMLA_SAGEMAKER_ENDPOINT as string,
    adapters,
    store,
    region: config.AWS_REGION,
    ...(config.SEMLA_SAGEMAKER_INFERENCE_COMPONENT ? { inferenceComponentName: config.SEMLA_SAGEMAKER_INFERENCE_COMPONENT } : {}),
    ...(config.SEMLA_SAGEMAKER_URL ? { endpoint: config.SEMLA_SAGEMAKER_URL } : {}),
    timeoutMs: config.SEMLA_BACKEND_TIMEOUT_MS,
    maxAttempts: config.SEMLA_BACKEND_MAX_ATTEMPTS,
  });
}

async function openBackend(config: ApiConfig, files: ModelFiles, store: BlobStore): Promise<InferenceBackend> {
  // One per process: every path that needs an adapter goes through it (one cache).
  const adapters = createAdapters({ store });
  if (config.SEMLA_BACKEND === "sagemaker") return openSageMakerBackend(config, { adapters, store });
  const segmenter = await OnnxSegmenter.fromModelFiles(files, { executionProviders: ["cpu"] });
  return createLocalBackend({ segmenter, adapters, timeoutMs: config.SEMLA_BACKEND_TIMEOUT_MS });
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
    const pipeline = createPipeline({ index, embedder, backend });
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

import type { Adapters } from "@semla/adapters";
import { createLocalBackend, createSageMakerBackend, type InferenceBackend, OnnxSegmenter } from "@semla/inference";
import type { ModelPack } from "@semla/models";
import type { Metrics } from "@semla/observability";
import type { BlobStore } from "@semla/storage";
import type { ServiceConfig } from "./config.js";

/**
 * The SageMaker backend the configuration names (SEMLA_SAGEMAKER_*; the schema requires the
 * endpoint), loading the mixtures' sources through the process's adapters and writing fused
 * objects to the store the endpoint reads.
 */
export function openSageMakerBackend(config: ServiceConfig, { adapters, store, metrics }: { adapters: Adapters; store: BlobStore; metrics?: Metrics }): InferenceBackend {
  return createSageMakerBackend({
    endpointName: config.SEMLA_SAGEMAKER_ENDPOINT as string,
    adapters,
    store,
    region: config.AWS_REGION,
    ...(config.SEMLA_SAGEMAKER_INFERENCE_COMPONENT ? { inferenceComponentName: config.SEMLA_SAGEMAKER_INFERENCE_COMPONENT } : {}),
    ...(config.SEMLA_SAGEMAKER_URL ? { endpoint: config.SEMLA_SAGEMAKER_URL } : {}),
    timeoutMs: config.SEMLA_BACKEND_TIMEOUT_MS,
    maxAttempts: config.SEMLA_BACKEND_MAX_ATTEMPTS,
    scaleFromZeroRetryAfterSeconds: config.SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS,
    // Jobs go through SageMaker's asynchronous invocations, input and output in the bucket.
    ...(config.SEMLA_BUCKET && store.kind === "s3"
      ? {
          async: {
            endpointName: config.SEMLA_SAGEMAKER_ASYNC_ENDPOINT ?? (config.SEMLA_SAGEMAKER_ENDPOINT as string),
            bucket: config.SEMLA_BUCKET,
            store,
            requestTtlSeconds: Math.min(21_600, config.SEMLA_JOBS_RETENTION_SECONDS),
          },
        }
      : {}),
    ...(metrics && { metrics }),
  });
}

export interface LocalBackendOptions {
  readonly models: ModelPack;
  /** The process's adapters (one per process: one cache); the mixture is fused through them. */
  readonly adapters: Adapters;
  /** ONNX Runtime worker threads; default its own. */
  readonly workers?: number;
  /** How long one inference may take in all; unset: no limit of the backend's own. */
  readonly timeoutMs?: number;
}

/** The local backend: the segmenter in this process (on the CPU), over the models. */
export async function openLocalBackend(options: LocalBackendOptions): Promise<InferenceBackend> {
  const segmenter = await OnnxSegmenter.fromPack(options.models, { executionProviders: ["cpu"], ...(options.workers !== undefined && { workers: options.workers }) });
  return createLocalBackend({ segmenter, adapters: options.adapters, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) });
}

/** The backend the configuration names (SEMLA_BACKEND): local over the models, or SageMaker. */
export async function openBackend(config: ServiceConfig, options: Omit<LocalBackendOptions, "timeoutMs"> & { readonly store: BlobStore; readonly metrics?: Metrics }): Promise<InferenceBackend> {
  if (config.SEMLA_BACKEND === "sagemaker") return openSageMakerBackend(config, options);
  return openLocalBackend({ models: options.models, adapters: options.adapters, ...(options.workers !== undefined && { workers: options.workers }), timeoutMs: config.SEMLA_BACKEND_TIMEOUT_MS });
}

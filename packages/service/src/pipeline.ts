import { type Adapters, createAdapters } from "@semla/adapters";
import { ClipEmbedder, type InferenceBackend } from "@semla/inference";
import type { ModelPack } from "@semla/models";
import type { Metrics } from "@semla/observability";
import { createPipeline, type Pipeline } from "@semla/pipeline";
import type { AdapterIndex } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import { openLocalBackend } from "./backend.js";

export interface PipelineHandle {
  readonly pipeline: Pipeline;
  /** The embedder the pipeline runs (the API computes library centroids with it). */
  readonly embedder: ClipEmbedder;
  readonly backend: InferenceBackend;
  /** Closes the embedder and the backend it opened (a backend given to it stays open). */
  close(): Promise<void>;
}

export interface PipelineOptions {
  readonly models: ModelPack;
  readonly index: AdapterIndex;
  readonly store: BlobStore;
  /** The backend to forward to; default the local one over the models (the embedded default), with adapters of its own over the store. */
  readonly backend?: InferenceBackend;
  /** The image encoder libraries must be indexed with; default the pack's (`imageEncoder.id`). */
  readonly embeddingModelId?: string;
  /** ONNX Runtime worker threads of the embedder and the local backend. */
  readonly workers?: number;
  /** The process's adapters unit (one cache), shared with the backend given; default one over the store. */
  readonly adapters?: Adapters;
  /** Where the pipeline reports its stages, plans and fused-cache hits; default nowhere. */
  readonly metrics?: Metrics;
}

/**
 * The request pipeline over a registry and a backend, as the API, the embedded default and eval run
 * it: the embedder always runs here; with no backend given, the local one over the models.
 */
export async function openPipeline(options: PipelineOptions): Promise<PipelineHandle> {
  const workers = options.workers;
  const embedder = await ClipEmbedder.fromPack(options.models, { ...(workers !== undefined && { workers }) });
  let backend = options.backend;
  const adapters = options.adapters ?? createAdapters({ store: options.store });
  try {
    backend ??= await openLocalBackend({ models: options.models, adapters, ...(workers !== undefined && { workers }) });
  } catch (error) {
    await embedder.close();
    throw error;
  }
  const pipeline = createPipeline({
    index: options.index,
    embedder,
    backend,
    embeddingModelId: options.embeddingModelId ?? options.models.imageEncoder.id,
    adapters,
    ...(options.metrics && { metrics: options.metrics }),
  });
  const owned = backend;
  return {
    pipeline,
    embedder,
    backend,
    async close() {
      await Promise.allSettled([embedder.close(), options.backend ? Promise.resolve() : owned.close()]);
    },
  };
}

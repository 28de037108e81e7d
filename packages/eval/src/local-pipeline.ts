import { createAdapters } from "@semla/adapters";
import { ClipEmbedder, createLocalBackend, OnnxSegmenter, type InferenceBackend } from "@semla/inference";
import type { ModelFiles } from "@semla/models";
import { createPipeline, type Pipeline } from "@semla/pipeline";
import type { AdapterIndex } from "@semla/registry";
import type { BlobStore } from "@semla/storage";

export interface PipelineHandle {
  readonly pipeline: Pipeline;
  close(): Promise<void>;
}

/**
 * The request pipeline over a registry and a backend, as the API builds it. With no backend given,
 * the local one over the models folder (the embedded default); the embedder always runs here.
 */
export async function openEvalPipeline(options: {
  models: ModelFiles;
  index: AdapterIndex;
  store: BlobStore;
  backend?: InferenceBackend;
  embeddingModelId?: string;
  workers?: number;
}): Promise<PipelineHandle> {
  const workers = options.workers ?? 1;
  const embedder = await ClipEmbedder.fromModelFiles(options.models, { workers });
  let backend = options.backend;
  try {
    if (!backend) {
      const segmenter = await OnnxSegmenter.fromModelFiles(options.models, { workers });
      backend = createLocalBackend({ segmenter, adapters: createAdapters({ store: options.store }) });
    }
  } catch (error) {
    await embedder.close();
    throw error;
  }
  const pipeline = createPipeline({
    index: options.index,
    embedder,
    backend,
    ...(options.embeddingModelId !== undefined && { embeddingModelId: options.embeddingModelId }),
  });
  const owned = backend;
  return {
    pipeline,
    async close() {
      await Promise.allSettled([embedder.close(), options.backend ? Promise.resolve() : owned.close()]);
    },
  };
}

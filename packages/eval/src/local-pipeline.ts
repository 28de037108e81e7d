import { openPipeline, type PipelineHandle, type PipelineOptions } from "@semla/service";

export type { PipelineHandle };

/**
 * The request pipeline as the API builds it (@semla/service's openPipeline), one ONNX Runtime worker
 * each for the embedder and the local backend unless told otherwise: an evaluation runs one image at a time.
 */
export function openEvalPipeline(options: PipelineOptions): Promise<PipelineHandle> {
  return openPipeline({ workers: 1, ...options });
}

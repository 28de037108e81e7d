import { onnx } from "@semla/core";
import { availableExecutionProviders, OnnxSegmenter, OrtWorkerPool, type ExecutionProviderName, type ModelFiles, type Segmenter } from "@semla/inference";
import type { EndpointConfig } from "./config.js";

/** Providers for the sessions: CUDA when this installation can run it (auto), else CPU. */
export function chooseExecutionProviders(requested: EndpointConfig["executionProvider"], available: readonly ExecutionProviderName[] = availableExecutionProviders()): ExecutionProviderName[] {
  if (requested === "cpu") return ["cpu"];
  const cuda = available.includes("cuda");
  if (requested === "cuda" && !cuda) {
    throw new Error("--device cuda: this onnxruntime-node installation cannot use CUDA (no CUDA provider libraries beside its binding)");
  }
  return cuda ? ["cuda", "cpu"] : ["cpu"];
}

const MODEL_NAMES = { segmentation: "segmentation", textEncoder: "text-encoder" } as const;

/**
 * The ONNX segmenter over the model files, on the chosen providers. The pool is made here because
 * OnnxSegmenter's own constructors take no providers; closing the returned segmenter closes both.
 */
export async function loadSegmenter(files: ModelFiles, executionProviders: readonly ExecutionProviderName[], options: { workers?: number } = {}): Promise<Segmenter> {
  const pool = await OrtWorkerPool.create({
    models: { [MODEL_NAMES.segmentation]: files.paths.segmentation, [MODEL_NAMES.textEncoder]: files.paths.textEncoder },
    executionProviders,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
  try {
    const { segmentation, textEncoder } = files.manifest;
    const segmenter = await OnnxSegmenter.create({
      pool,
      modelNames: MODEL_NAMES,
      segmentation: {
        imageSize: segmentation.config.imageSize,
        imageMean: segmentation.config.imageMean,
        imageStd: segmentation.config.imageStd,
        loraTargets: onnx.segmentationLoraModules(segmentation.config),
      },
      text: { contextLength: textEncoder.config.contextLength, vocabularySize: textEncoder.config.vocabularySize },
    });
    return {
      segment: (input, segmentOptions) => segmenter.segment(input, segmentOptions),
      close: async () => {
        await segmenter.close();
        await pool.close();
      },
    };
  } catch (error) {
    await pool.close();
    throw error;
  }
}

import { availableExecutionProviders, type ExecutionProviderName, OnnxSegmenter } from "@semla/inference";
import type { ModelPack } from "@semla/models";
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

/** The ONNX segmenter over the model files, on the chosen providers (closing it closes its pool). */
export function loadSegmenter(files: ModelPack, executionProviders: readonly ExecutionProviderName[], options: { workers?: number } = {}): Promise<OnnxSegmenter> {
  return OnnxSegmenter.fromPack(files, { executionProviders, ...(options.workers === undefined ? {} : { workers: options.workers }) });
}

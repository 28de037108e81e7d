import type { InferenceBackend, InferenceRequest, InferenceResponse, Segmenter } from "../types.js";
import type { AdapterResolver } from "../transport/adapter-resolver.js";
import { checkInferenceRequest } from "../transport/envelope.js";
import { deadline } from "./deadline.js";
import { BackendError } from "./errors.js";

export interface LocalBackendOptions {
  readonly segmenter: Segmenter;
  readonly resolver: AdapterResolver;
  /** Bound on one inference (adapter resolution + segmentation) when the call gives none; default none. */
  readonly timeoutMs?: number;
}

/**
 * In-process inference, the embedded default: the same validation and adapter resolution as the
 * endpoint, then the segmenter. The backend owns the segmenter: close() closes it.
 */
export function createLocalBackend({ segmenter, resolver, timeoutMs: defaultTimeoutMs }: LocalBackendOptions): InferenceBackend {
  if (defaultTimeoutMs !== undefined && !(defaultTimeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${defaultTimeoutMs}`);
  async function infer(request: InferenceRequest, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<InferenceResponse> {
    checkInferenceRequest(request);
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const { signal, timedOut } = deadline(options.signal, timeoutMs);
    try {
      const resolved = await resolver.resolve(request.adapter, signal ? { signal } : {});
      const output = await segmenter.segment({ image: request.image, classNames: request.classNames, adapter: resolved.adapter }, signal ? { signal } : {});
      return { ...output, adapter: { kind: resolved.kind, sha256: resolved.sha256, cached: resolved.cached } };
    } catch (error) {
      if (timedOut()) throw new BackendError("timeout", `inference did not finish within ${timeoutMs} ms`, { timeoutMs });
      throw error;
    }
  }

  return { kind: "local", infer, close: () => segmenter.close() };
}

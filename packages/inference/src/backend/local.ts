import { type Adapters, untimed } from "@semla/adapters";
import { checkInferenceRequest } from "../transport/envelope.js";
import type { BackendResponse, InferenceBackend, InferenceRequest, InferOptions, Segmenter } from "../types.js";
import { deadline } from "./deadline.js";
import { BackendError } from "./errors.js";

export interface LocalBackendOptions {
  readonly segmenter: Segmenter;
  /** The process's adapters: the mixture is fused through them (cached by mixture). */
  readonly adapters: Adapters;
  /** Bound on one inference (loading, fusion and segmentation) when the call gives none; default none. */
  readonly timeoutMs?: number;
}

/**
 * In-process inference, the embedded default: the mixture fused through the process's adapters
 * and handed to the segmenter as it is. Nothing travels, so there is no reference, no envelope,
 * no payload limit and nothing serialised or hashed. The backend owns the segmenter: close()
 * closes it.
 */
export function createLocalBackend({ segmenter, adapters, timeoutMs: defaultTimeoutMs }: LocalBackendOptions): InferenceBackend {
  if (defaultTimeoutMs !== undefined && !(defaultTimeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${defaultTimeoutMs}`);
  async function infer(request: InferenceRequest, options: InferOptions = {}): Promise<BackendResponse> {
    checkInferenceRequest(request);
    const stage = options.stage ?? untimed;
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const { signal, timedOut } = deadline(options.signal, timeoutMs);
    try {
      const fused = request.mixture ? await adapters.fuse(request.mixture, { stage, ...(signal && { signal }) }) : null;
      const output = await stage("infer", () => segmenter.segment({ image: request.image, classNames: request.classNames, adapter: fused?.adapter ?? null }, signal ? { signal } : {}));
      if (!fused) return { ...output, adapter: { kind: "none", sha256: null, cached: false }, fusion: null };
      return { ...output, adapter: { kind: "in-process", sha256: fused.sha256, cached: fused.cached }, fusion: { at: "api", cached: fused.cached } };
    } catch (error) {
      if (timedOut()) throw new BackendError("timeout", `inference did not finish within ${timeoutMs} ms`, { timeoutMs });
      throw error;
    }
  }

  let closed = false;
  return {
    kind: "local",
    infer,
    ready: async () => {
      if (closed) throw new BackendError("unavailable", "the local backend is closed");
    },
    close: () => {
      closed = true;
      return segmenter.close();
    },
  };
}

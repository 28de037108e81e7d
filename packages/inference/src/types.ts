import type { LoraAdapter, peft } from "@semla/core";

/**
 * The seams of the inference side. A Segmenter runs the segmentation model in this process; an
 * InferenceBackend is where the API sends work (in-process, or a SageMaker endpoint); an
 * AdapterReference is how an adapter travels to the backend without moving its bytes every request.
 */

export interface ClassScore {
  readonly className: string;
  /** Fraction of the mask's pixels labelled with this class. */
  readonly pixelFraction: number;
  /** Mean softmax probability of this class over all pixels. */
  readonly meanProbability: number;
}

export interface SegmentationInput {
  /** Encoded image: JPEG, PNG or WebP. */
  readonly image: Uint8Array;
  readonly classNames: readonly string[];
  /** The adapter to apply (its scaling already folded in, as a fused adapter has), or null for zero-shot. */
  readonly adapter: LoraAdapter | null;
}

export interface SegmentationOutput {
  /** 8-bit greyscale PNG at the input image's size (after EXIF orientation): pixel value = class index. */
  readonly maskPng: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly scores: readonly ClassScore[];
  readonly timings: Readonly<Record<string, number>>;
}

export interface Segmenter {
  segment(input: SegmentationInput, options?: { signal?: AbortSignal }): Promise<SegmentationOutput>;
  close(): Promise<void>;
}

/** One source adapter of a `cat` fusion, by content: the endpoint rebuilds the fused adapter exactly. */
export interface CatSource {
  readonly sha256: string;
  readonly objectKey: string;
  readonly config: peft.PeftLoraConfig;
  readonly weight: number;
}

export type AdapterReference =
  | { readonly kind: "none" }
  /** The adapter's safetensors in the request (when it fits the payload limit). */
  | { readonly kind: "inline"; readonly sha256: string; readonly config: peft.PeftLoraConfig; readonly weights: Uint8Array }
  /** A `cat` fusion as a manifest of its sources (sha256 of the manifest names the result). */
  | { readonly kind: "cat"; readonly sha256: string; readonly sources: readonly CatSource[] }
  /** A fused adapter written once to the object store, content-addressed. */
  | { readonly kind: "object"; readonly sha256: string; readonly objectKey: string; readonly config: peft.PeftLoraConfig };

export interface InferenceRequest {
  readonly image: Uint8Array;
  readonly classNames: readonly string[];
  readonly adapter: AdapterReference;
  readonly requestId?: string;
}

export interface InferenceResponse extends SegmentationOutput {
  /** How the adapter was obtained: from the endpoint's cache, or fetched/rebuilt for this request. */
  readonly adapter: { readonly kind: AdapterReference["kind"]; readonly sha256: string | null; readonly cached: boolean };
}

export interface InferenceBackend {
  readonly kind: "local" | "sagemaker";
  infer(request: InferenceRequest, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<InferenceResponse>;
  close(): Promise<void>;
}

import type { AdapterReference, Mixture, StageClock } from "@semla/adapters";
import type { LoraAdapter } from "@semla/core";

/**
 * The seams of the inference side. A Segmenter runs the segmentation model in this process; an
 * InferenceBackend is where the API sends work (in-process, or a SageMaker endpoint) and owns how
 * the plan's mixture reaches its segmenter.
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

/** What a backend is asked for: the image, the class names, and the plan's mixture (null: zero-shot). */
export interface InferenceRequest {
  readonly image: Uint8Array;
  readonly classNames: readonly string[];
  /** The planned sources and fusion options: each backend decides how the fused adapter reaches its segmenter. */
  readonly mixture: Mixture | null;
  readonly requestId?: string;
  /** The library the mixture was planned in, at the generation read with it (bank mode: the SageMaker backend names its bank by both). */
  readonly library?: BankLibrary;
}

/** One adapter of a library's bank manifest (transport/schemas' BankManifest): where it is stored and how it scales. */
export interface BankAdapter {
  readonly sha256: string;
  readonly objectKey: string;
  readonly config: Mixture["sources"][number]["config"];
}

/** A library at a generation, as a backend that publishes bank manifests needs it. */
export interface BankLibrary {
  readonly id: string;
  readonly generation: number;
  /**
   * The library's active adapters at `generation` in bank order (a fixed order, so every writer of
   * the manifest writes the same bytes), or null when the library has moved on to another
   * generation since. Read only when that generation's manifest is not yet published.
   */
  readonly bankAdapters: () => Promise<readonly BankAdapter[] | null>;
}

/** What the SageMaker backend sends the endpoint (envelope.ts): the adapter as a reference. */
export interface Invocation {
  readonly image: Uint8Array;
  readonly classNames: readonly string[];
  readonly adapter: AdapterReference;
  readonly requestId?: string;
  /** Bank mode: the plan for the library's bank (transport/schemas' BankPlan); `adapter` is the fallback. */
  readonly bank?: {
    readonly library: string;
    readonly generation: number;
    readonly indices: readonly number[];
    readonly weights: readonly number[];
  };
}

/** The endpoint's answer: how the adapter was obtained, from its cache or fetched/rebuilt for this request. */
export interface InferenceResponse extends SegmentationOutput {
  /** `bank`: served by the library's bank session (no adapter resolved, nothing fused). */
  readonly adapter: { readonly kind: AdapterReference["kind"] | "bank"; readonly sha256: string | null; readonly cached: boolean };
}

/** How the adapter reached the segmenter: a reference's kind (SageMaker), or `in-process` (local: the fused adapter itself). */
export type AdapterDeliveryKind = AdapterReference["kind"] | "bank" | "in-process";

export interface BackendResponse extends SegmentationOutput {
  /** `in-process` names the adapter by its mixture's sha256 (nothing is serialised or hashed); `cached`: it came from the cache. */
  readonly adapter: { readonly kind: AdapterDeliveryKind; readonly sha256: string | null; readonly cached: boolean };
  /**
   * Where the mixture was fused: in this process (`api`: always with the local backend, and before
   * sending to SageMaker), or rebuilt by the endpoint from its cached sources (`backend`: a cat
   * manifest); and whether the fused adapter came from the cache. null without a mixture.
   */
  readonly fusion: { readonly at: "api" | "backend"; readonly cached: boolean } | null;
}

export interface InferOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Times the backend's stages (load, fuse, transport, infer) into the caller's; default untimed. */
  readonly stage?: StageClock;
}

export interface InferenceBackend {
  readonly kind: "local" | "sagemaker";
  infer(request: InferenceRequest, options?: InferOptions): Promise<BackendResponse>;
  /**
   * Resolves when the backend can serve (GET /readyz). The SageMaker backend has none: the only
   * probe of an endpoint is an invocation, which would wake a GPU scaled to zero.
   */
  ready?(signal?: AbortSignal): Promise<void>;
  /** Deferred inference (SageMaker's asynchronous invocations); absent: jobs run through infer in this process. */
  readonly async?: AsyncInference;
  close(): Promise<void>;
}

/** Where an inference run later (SageMaker Asynchronous Inference) will leave its answer, and how its adapter travelled. */
export interface AsyncSubmission {
  readonly inferenceId: string;
  /** Keys in the bucket: the answer (the endpoint's response body) or the failure (its error body). */
  readonly outputKey: string;
  readonly failureKey: string;
  readonly fusion: BackendResponse["fusion"];
}

export type AsyncOutcome =
  | { readonly state: "pending" }
  | { readonly state: "succeeded"; readonly response: BackendResponse }
  | { readonly state: "failed"; readonly error: { readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> } };

/**
 * Inference deferred to the backend's own queue: submit writes the invocation to the bucket and
 * queues it; collect reads the answer once it is there (pending until then). The mixture is delivered
 * at submission, as infer delivers it.
 */
export interface AsyncInference {
  submit(request: InferenceRequest, at: { readonly inputKey: string; readonly inferenceId: string }, options?: InferOptions): Promise<AsyncSubmission>;
  collect(submission: AsyncSubmission): Promise<AsyncOutcome>;
}

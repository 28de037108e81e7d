import type { fusion, LoraAdapter, peft } from "@semla/core";

/** An adapter as the registry stores it: its weights' sha256 names it, the object key says where it is. */
export interface StoredAdapter {
  readonly sha256: string;
  readonly objectKey: string;
  readonly config: peft.PeftLoraConfig;
}

/** One planned source of a mixture: a stored adapter and its weight in the plan. */
export interface AdapterSource extends StoredAdapter {
  readonly weight: number;
}

/** What a plan asks a backend to apply: weighted stored adapters and how to fuse them. */
export interface Mixture {
  readonly sources: readonly AdapterSource[];
  readonly options: fusion.FusionOptions;
}

/** A mixture fused: its name (mixtureSha256) and whether it came from the cache. */
export interface FusedAdapter {
  readonly adapter: LoraAdapter;
  readonly sha256: string;
  readonly cached: boolean;
}

/**
 * How an adapter travels to a process that has neither the registry nor the fused adapter (the
 * SageMaker endpoint): resolve() turns it back into an adapter.
 */
export type AdapterReference =
  | { readonly kind: "none" }
  /** The adapter's safetensors in the request (when it fits the payload limit). */
  | { readonly kind: "inline"; readonly sha256: string; readonly config: peft.PeftLoraConfig; readonly weights: Uint8Array }
  /** A `cat` fusion as a manifest of its sources (sha256 of the manifest names the result). */
  | { readonly kind: "cat"; readonly sha256: string; readonly sources: readonly AdapterSource[] }
  /** A fused adapter written once to the object store, content-addressed. */
  | { readonly kind: "object"; readonly sha256: string; readonly objectKey: string; readonly config: peft.PeftLoraConfig };

export interface ResolvedAdapter {
  readonly adapter: LoraAdapter | null;
  readonly kind: AdapterReference["kind"];
  readonly sha256: string | null;
  /** True when the adapter came from the cache; false when it was read or rebuilt for this call. */
  readonly cached: boolean;
}

/** Times a stage of the caller's request (load, fuse): the caller's stage timer, or nothing. */
export type StageClock = <T>(stage: string, work: () => Promise<T>) => Promise<T>;

export const untimed: StageClock = (_stage, work) => work();

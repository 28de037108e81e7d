import type { LoraModule } from "../lora/adapter.js";

/** One adapter's contribution to one module of the fused adapter. */
export interface ModulePart {
  readonly module: LoraModule;
  readonly weight: number;
  /** Position of the adapter in the fusion input: names its random stream. */
  readonly adapterIndex: number;
}

/** Fused factors of one module, already padded to the fused adapter's rank. */
export interface FusedFactors {
  readonly a: Float32Array;
  readonly b: Float32Array;
}

import type { PeftLoraConfig } from "../formats/peft/config.js";

/**
 * One LoRA-adapted linear layer: ΔW = scaling · B · A, with A [rank, in] and B [out, rank]
 * stored row-major as Float32Array. `name` is the module path in the base model, without
 * PEFT's `base_model.model.` prefix.
 */
export interface LoraModule {
  readonly name: string;
  readonly rank: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly alpha: number;
  readonly scaling: number;
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/**
 * A LoRA adapter in memory. Invariant: every module's rank and alpha are the ones its config
 * gives it (r/lora_alpha, or rank_pattern/alpha_pattern), so writing it back is lossless.
 */
export interface LoraAdapter {
  readonly config: PeftLoraConfig;
  /** Sorted by name. */
  readonly modules: readonly LoraModule[];
}

export function adapterParameterCount(adapter: LoraAdapter): number {
  let total = 0;
  for (const m of adapter.modules) total += m.a.length + m.b.length;
  return total;
}

/** Dense ΔW [out, in] of one module, in Float64 (scaling applied once). For tests and small checks. */
export function denseDelta(module: LoraModule): Float64Array {
  const { rank, inFeatures, outFeatures, a, b, scaling } = module;
  const out = new Float64Array(outFeatures * inFeatures);
  for (let o = 0; o < outFeatures; o++) {
    for (let k = 0; k < rank; k++) {
      const bok = (b[o * rank + k] as number) * scaling;
      if (bok === 0) continue;
      const rowA = k * inFeatures;
      const rowOut = o * inFeatures;
      for (let i = 0; i < inFeatures; i++) out[rowOut + i]! += bok * (a[rowA + i] as number);
    }
  }
  return out;
}

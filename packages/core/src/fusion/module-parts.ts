import { interleaveColumns } from "../kernels/interleave-columns.js";
import { scaleF32 } from "../kernels/scale-f32.js";
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

/**
 * Concatenates the parts as PEFT's `cat` does: A′ = rows(wᵢ·sᵢ·Aᵢ), B′ = cols(Bᵢ), zero-padded
 * up to `rank` so B′A′ = Σ wᵢ·sᵢ·BᵢAᵢ exactly. Also the first step of `svd`.
 */
export function concatenateParts(parts: readonly ModulePart[], rank: number): FusedFactors {
  const { inFeatures, outFeatures } = parts[0]!.module;
  const a = new Float32Array(rank * inFeatures);
  const b = new Float32Array(outFeatures * rank);
  let offset = 0;
  for (const { module, weight } of parts) {
    scaleF32(a, offset * inFeatures, module.a, weight * module.scaling);
    offset += module.rank;
  }
  interleaveColumns(
    b,
    rank,
    parts.map((p) => p.module.b),
    parts.map((p) => p.module.rank),
    outFeatures,
  );
  return { a, b };
}

export function concatenatedRank(parts: readonly ModulePart[]): number {
  return parts.reduce((sum, p) => sum + p.module.rank, 0);
}

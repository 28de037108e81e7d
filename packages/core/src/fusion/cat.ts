import { interleaveColumns } from "../kernels/interleave-columns.js";
import { scaleF32 } from "../kernels/scale-f32.js";
import type { FusedFactors, ModulePart } from "./module-parts.js";

/**
 * Concatenates the parts as PEFT's `cat` does: A′ = rows(wᵢ·sᵢ·Aᵢ), B′ = cols(Bᵢ), zero-padded
 * up to `rank` so B′A′ = Σ wᵢ·sᵢ·BᵢAᵢ exactly. Also the first step of `svd`.
 */
export function fuseCat(parts: readonly ModulePart[], rank: number): FusedFactors {
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

/** `cat`'s rank: Σrᵢ. */
export function catRank(parts: readonly ModulePart[]): number {
  return parts.reduce((sum, p) => sum + p.module.rank, 0);
}

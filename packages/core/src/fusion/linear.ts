import { createPrng } from "../random/prng.js";
import { FusionError } from "./errors.js";
import type { FusedFactors, ModulePart } from "./module-parts.js";
import { mergeTaskTensors, type TaskMerge } from "./task-tensors.js";

/**
 * `linear`, `ties`, `dare_linear`, `dare_ties`, `magnitude_prune`: PEFT merges A and B separately
 * with weights √|wᵢ·sᵢ| (the sign of wᵢ·sᵢ on A only), so for one adapter B′A′ = w·s·BA.
 * All parts of a module must share one rank.
 */
export function sharedRank(name: string, parts: readonly ModulePart[]): number {
  const rank = parts[0]!.module.rank;
  const other = parts.find((p) => p.module.rank !== rank);
  if (other) {
    throw new FusionError("rank-mismatch", `module ${name}: ranks ${rank} and ${other.module.rank} differ; linear, ties, dare and magnitude_prune need equal ranks (use cat or svd)`, { module: name });
  }
  return rank;
}

export function fuseTaskArithmetic(name: string, parts: readonly ModulePart[], rank: number, merge: TaskMerge, seed: number): FusedFactors {
  const own = sharedRank(name, parts);
  const weightsA = parts.map((p) => Math.sign(p.weight * p.module.scaling || 1) * Math.sqrt(Math.abs(p.weight * p.module.scaling)));
  const weightsB = parts.map((p) => Math.sqrt(Math.abs(p.weight * p.module.scaling)));
  const streams = (role: string) => () => parts.map((p) => createPrng(seed, `${name}\u0000${p.adapterIndex}\u0000${role}`));
  const a = mergeTaskTensors(
    merge,
    parts.map((p) => p.module.a),
    weightsA,
    streams("A"),
  );
  const b = mergeTaskTensors(
    merge,
    parts.map((p) => p.module.b),
    weightsB,
    streams("B"),
  );
  if (own === rank) return { a, b };
  const { inFeatures, outFeatures } = parts[0]!.module;
  const paddedA = new Float32Array(rank * inFeatures);
  paddedA.set(a);
  const paddedB = new Float32Array(outFeatures * rank);
  for (let o = 0; o < outFeatures; o++) paddedB.set(b.subarray(o * own, (o + 1) * own), o * rank);
  return { a: paddedA, b: paddedB };
}

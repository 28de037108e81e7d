// Test support (not exported): seeded inputs and comparisons for the model tests.
import { createPrng } from "@semla/core";

/** Standard-normal values: what CLIP-normalised pixels look like. */
export function normalArray(count: number, seed: number, label = "input"): Float32Array {
  const random = createPrng(seed, label);
  return Float32Array.from({ length: count }, () => random.normal());
}

export function maxAbsDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`lengths ${x.length} and ${y.length} differ`);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

export function maxAbs(x: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]!));
  return max;
}

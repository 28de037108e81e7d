// Test support: seeded inputs and comparisons for the model tests.
import { createPrng, linalg } from "@semla/core";

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

/**
 * max |actual − expected| / max |expected|: float32 agreement of two runtimes on the same graph, measured
 * against the output's scale (an element-wise ratio blows up on values near zero).
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  return maxAbsDifference(actual, expected) / maxAbs(expected);
}

/** Each row of a row-major [rows, dimension] copy L2-normalised. */
export function l2NormalizedRows(data: Float32Array, dimension: number): Float32Array {
  return linalg.l2NormalizeRowsInPlace(data.slice(), dimension);
}

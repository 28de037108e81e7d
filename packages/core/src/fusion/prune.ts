import type { Prng } from "../random/prng.js";

/**
 * PEFT's `prune` (merge_utils): keep the `floor(density · n)` entries of largest magnitude.
 * Equal magnitudes at the threshold are kept in index order, so the result is deterministic.
 */
export function magnitudePrune(tensor: Float32Array, density: number): Float32Array {
  if (density >= 1) return tensor;
  const n = tensor.length;
  const keep = Math.floor(density * n);
  const out = new Float32Array(n);
  if (keep === 0) return out;
  const magnitudes = new Float32Array(n);
  for (let i = 0; i < n; i++) magnitudes[i] = Math.abs(tensor[i]!);
  const sorted = magnitudes.slice().sort();
  const threshold = sorted[n - keep]!;
  let above = 0;
  for (let i = 0; i < n; i++) if (magnitudes[i]! > threshold) above++;
  let atThreshold = keep - above;
  for (let i = 0; i < n; i++) {
    const m = magnitudes[i]!;
    if (m > threshold || (m === threshold && atThreshold-- > 0)) out[i] = tensor[i]!;
  }
  return out;
}

/**
 * DARE's random drop: each entry survives with probability `density` and survivors are divided
 * by `density` so the expectation is unchanged. At density 0 every entry is dropped (PEFT would
 * divide 0 by 0 and return NaN).
 */
export function randomPrune(tensor: Float32Array, density: number, random: Prng): Float32Array {
  if (density >= 1) return tensor;
  const out = new Float32Array(tensor.length);
  if (density === 0) return out;
  for (let i = 0; i < tensor.length; i++) {
    if (random.next() < density) out[i] = tensor[i]! / density;
  }
  return out;
}

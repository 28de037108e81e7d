import { linalg } from "@semla/core";

/**
 * The best rank-r approximation of a weight update ΔW [out, in] (Eckart–Young: its truncated SVD),
 * as LoRA factors B [out, r] and A [r, in] with B·A = U_r·diag(s_r)·V_rᵀ; the singular values are
 * split as √s on each side so both factors have the same scale. r is capped at min(out, in).
 */
export function lowRankFactors(delta: Float64Array, outFeatures: number, inFeatures: number, rank: number): { a: Float32Array; b: Float32Array; rank: number; singularValues: Float64Array } {
  if (delta.length !== outFeatures * inFeatures) throw new RangeError(`lowRankFactors: ${delta.length} values for a ${outFeatures}x${inFeatures} update`);
  const { u, s, v } = linalg.svd(linalg.matrix(outFeatures, inFeatures, delta));
  const r = Math.min(rank, s.length);
  const b = new Float32Array(outFeatures * r);
  const a = new Float32Array(r * inFeatures);
  for (let k = 0; k < r; k++) {
    const root = Math.sqrt(s[k]!);
    for (let o = 0; o < outFeatures; o++) b[o * r + k] = u.data[o * u.cols + k]! * root;
    for (let i = 0; i < inFeatures; i++) a[k * inFeatures + i] = v.data[i * v.cols + k]! * root;
  }
  return { a, b, rank: r, singularValues: s };
}

/** Synthetic CLIP-like centroids for the retrieval benchmarks (registry, tenants). */
import { createPrng } from "@semla/core";

export type Distribution = "clustered" | "uniform";

/**
 * Unit vectors, uniform on the sphere (HNSW's worst case), or clustered as CLIP centroids are: one
 * cluster per ~50 points, each point its cluster's centre moved along a few shared directions (real
 * image embeddings have a low intrinsic dimension: related domains differ in a handful of factors)
 * plus a little isotropic noise. Queries are drawn the same way, independently of the points.
 */
export function generate(distribution: Distribution, count: number, seed: number, options: { dimension: number; queries: number }): { points: Float32Array[]; queries: Float32Array[] } {
  const { dimension, queries } = options;
  const random = createPrng(seed, distribution);
  const unit = (v: Float32Array) => {
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    return v.map((x) => x / norm);
  };
  const gaussian = () => Float32Array.from({ length: dimension }, () => random.normal());
  if (distribution === "uniform") {
    return { points: Array.from({ length: count }, () => unit(gaussian())), queries: Array.from({ length: queries }, () => unit(gaussian())) };
  }
  const FACTORS = 16;
  const clusters = Array.from({ length: Math.max(20, Math.round(count / 50)) }, () => ({
    centre: unit(gaussian()),
    factors: Array.from({ length: FACTORS }, () => unit(gaussian())),
  }));
  const draw = () => {
    const { centre, factors } = clusters[Math.floor(random.next() * clusters.length)]!;
    const v = Float32Array.from(centre);
    for (const f of factors) {
      const a = (0.3 / Math.sqrt(FACTORS)) * random.normal();
      for (let i = 0; i < dimension; i++) v[i]! += a * f[i]!;
    }
    for (let i = 0; i < dimension; i++) v[i]! += (0.02 / Math.sqrt(dimension)) * random.normal();
    return unit(v);
  };
  return { points: Array.from({ length: count }, draw), queries: Array.from({ length: queries }, draw) };
}

import { RegistryError } from "../errors.js";
import type { Metric } from "./adapter-index.js";

/**
 * A centroid (or query) must fit its library before it reaches pgvector, whose own errors
 * ("expected 512 dimensions, not 768") would surface as an opaque database failure.
 */
export function assertCentroid(v: Float32Array, library: { readonly id: string; readonly dimension: number; readonly metric: Metric }, label: string): void {
  if (v.length !== library.dimension) {
    throw new RegistryError("dimension-mismatch", `${label} has dimension ${v.length} but library ${library.id} has dimension ${library.dimension}`, {
      libraryId: library.id,
      expected: library.dimension,
      actual: v.length,
    });
  }
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (!Number.isFinite(x)) {
      throw new RegistryError("non-finite-centroid", `${label} has a non-finite value ${String(x)} at index ${i}`, {
        index: i,
        value: String(x),
      });
    }
  }
  // A zero vector has no direction: pgvector's cosine distance to it is NaN.
  if (library.metric === "cosine" && v.every((x) => x === 0)) {
    throw new RegistryError("invalid-centroid", `${label} is a zero vector, so its cosine distance is undefined`, {
      libraryId: library.id,
    });
  }
}

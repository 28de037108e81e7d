import { RoutingError } from "./errors.js";

/**
 * Input checks shared by the distance functions and the nearest-neighbour search. Each takes a
 * label ("query", 'candidate "alps"') so the error says which vector was wrong.
 */

/** Throws unless `v` has at least one component and every component is finite. */
export function assertFiniteVector(v: ArrayLike<number>, label: string): void {
  if (v.length === 0) {
    throw new RoutingError("routing.empty-vector", `${label} has dimension 0`, { vector: label });
  }
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (!Number.isFinite(x)) {
      throw new RoutingError("routing.non-finite", `${label} has a non-finite value ${String(x)} at index ${i}`, { vector: label, index: i, value: String(x) });
    }
  }
}

/** Throws unless `b` has the dimension of `a`; `bLabel` is the one blamed. */
export function assertSameDimension(a: ArrayLike<number>, aLabel: string, b: ArrayLike<number>, bLabel: string): void {
  if (a.length !== b.length) {
    throw new RoutingError("routing.dimension-mismatch", `${bLabel} has dimension ${b.length} but ${aLabel} has dimension ${a.length}`, { vector: bLabel, expected: a.length, actual: b.length });
  }
}

/** Cosine distance is undefined for a zero vector; say so instead of returning NaN. */
export function assertNonZero(v: ArrayLike<number>, label: string): void {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return;
  throw new RoutingError("routing.zero-vector", `${label} is a zero vector, so its cosine distance is undefined`, { vector: label });
}

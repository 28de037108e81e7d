import type { Metric } from "./distance.js";
import { cosineKernel, euclideanKernel } from "./kernels.js";
import { assertUniqueIds, type Neighbor, selectNeighbors } from "./neighbor.js";
import { assertFiniteVector, assertNonZero, assertSameDimension } from "./vector.js";

/** An adapter in the library, represented by the CLIP-embedding centroid of its training domain. */
export interface Candidate {
  readonly id: string;
  readonly centroid: ArrayLike<number>;
}

export interface NearestOptions {
  readonly k: number;
  readonly metric: Metric;
  /** Ids removed before the top k is taken. */
  readonly exclude?: readonly string[];
}

/**
 * The k candidates nearest to `query`, nearest first, ties broken by id. k beyond the library
 * returns every candidate that is not excluded. Excluded candidates are neither measured nor
 * validated: they take no part in routing.
 */
export function nearestAdapters(query: ArrayLike<number>, candidates: readonly Candidate[], options: NearestOptions): Neighbor[] {
  const { metric } = options;
  const exclude = options.exclude ?? [];
  assertFiniteVector(query, "query");
  if (metric === "cosine") assertNonZero(query, "query");
  assertUniqueIds(
    candidates.map((c) => c.id),
    "candidates",
  );

  const excluded = new Set(exclude);
  const kernel = metric === "euclidean" ? euclideanKernel : cosineKernel;
  const measured: Neighbor[] = [];
  for (const c of candidates) {
    if (excluded.has(c.id)) continue;
    const label = `candidate "${c.id}"`;
    assertSameDimension(query, "query", c.centroid, label);
    assertFiniteVector(c.centroid, label);
    if (metric === "cosine") assertNonZero(c.centroid, label);
    measured.push({ id: c.id, distance: kernel(query, c.centroid) });
  }
  // selectNeighbors also rejects the one non-finite case left: a euclidean distance past Float64.
  return selectNeighbors(measured, { k: options.k, metric, exclude: [] });
}

import { z } from "zod";
import type { Metric } from "./distance.js";
import { RoutingError } from "./errors.js";

/**
 * An adapter and its distance from the query. Produced by `nearestAdapters`, or by a database
 * (pgvector) that ranked the centroids itself, which is why the planner takes these and not
 * centroids.
 */
export const NeighborSchema = z.object({
  id: z.string(),
  distance: z.number().describe("Distance from the query in the routing metric"),
});
export type Neighbor = z.infer<typeof NeighborSchema>;

/** Distance ascending, then id by UTF-16 code units: locale-independent, so ties are deterministic. */
export function compareNeighbors(a: Neighbor, b: Neighbor): number {
  if (a.distance !== b.distance) return a.distance - b.distance;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Two entries with one id would make the fusion weights ambiguous. */
export function assertUniqueIds(ids: Iterable<string>, what: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) {
      throw new RoutingError("routing.duplicate-id", `${what} contain the id "${id}" more than once`, { id });
    }
    seen.add(id);
  }
}

/** A fused adapter count must be a positive integer; checked here too for callers that skip the schema. */
export function assertK(k: number): void {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new RoutingError("routing.invalid-options", `k must be an integer >= 1, got ${String(k)}`, {
      k: String(k),
    });
  }
}

/** Cosine distance 1 − cos lies in [0, 2]; euclidean in [0, ∞). */
function assertValidDistance(n: Neighbor, metric: Metric): void {
  const d = n.distance;
  if (!Number.isFinite(d)) {
    throw new RoutingError("routing.non-finite", `neighbor "${n.id}" has a non-finite distance ${String(d)}`, { id: n.id, distance: String(d) });
  }
  if (d < 0 || (metric === "cosine" && d > 2)) {
    const range = metric === "cosine" ? "[0, 2]" : "[0, ∞)";
    throw new RoutingError("routing.invalid-distance", `neighbor "${n.id}" has ${metric} distance ${d}, outside ${range}`, { id: n.id, distance: d, metric });
  }
}

/**
 * The k nearest neighbours, nearest first. Excluded ids go first so the next-nearest adapter
 * takes their place (leave-one-out). Re-validates and re-sorts: the list may come from a database.
 */
export function selectNeighbors(neighbors: readonly Neighbor[], options: { readonly k: number; readonly metric: Metric; readonly exclude: readonly string[] }): Neighbor[] {
  assertK(options.k);
  assertUniqueIds(
    neighbors.map((n) => n.id),
    "neighbors",
  );
  const excluded = new Set(options.exclude);
  const kept = neighbors.filter((n) => !excluded.has(n.id));
  for (const n of kept) assertValidDistance(n, options.metric);
  return kept
    .map((n) => ({ id: n.id, distance: n.distance }))
    .sort(compareNeighbors)
    .slice(0, options.k);
}

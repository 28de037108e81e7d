import { assertUniqueIds, type Neighbor, selectNeighbors } from "./neighbor.js";
import { ROUTING_DEFAULTS, type RoutingOptions } from "./options.js";
import type { FusionPlan, PlannedAdapter } from "./plan-schema.js";
import { jsonSimilarity, similarityFromDistance, similarityKind } from "./similarity.js";

function isIdList(source: readonly Neighbor[] | readonly string[]): source is readonly string[] {
  return source.every((x) => typeof x === "string");
}

/**
 * Parsed routing options as the uniform baseline reads them: no temperature, and `k` may be left out
 * (every eligible adapter). Parsed already: the API's schema, or parseRoutingOptions at another edge.
 */
export type UniformOptions = Pick<RoutingOptions, "metric" | "exclude"> & { readonly k?: RoutingOptions["k"] };

/**
 * Equal weights: the paper's "uniform merge" baseline, in the same plan shape as the softmax
 * plan so the two can be compared side by side.
 *
 * - From neighbours: same selection as `planFromNeighbors` (exclusion, validation, sorting, top k).
 * - From bare ids: taken as already ranked, in the given order; distance and similarity are null.
 *
 * Unlike routing, an omitted `k` means "every eligible adapter", since the baseline merges the
 * whole library. `temperature` plays no part (null in the plan).
 */
export function uniformPlan(source: readonly Neighbor[] | readonly string[], given: UniformOptions = { metric: ROUTING_DEFAULTS.metric, exclude: ROUTING_DEFAULTS.exclude }): FusionPlan {
  const excluded = new Set(given.exclude);
  const ids = isIdList(source) ? source : source.map((n) => n.id);
  const eligible = ids.filter((id) => !excluded.has(id)).length;
  const options = { ...given, k: given.k ?? Math.max(1, eligible) };

  let adapters: PlannedAdapter[];
  if (isIdList(source)) {
    assertUniqueIds(source, "ids");
    const chosen = source.filter((id) => !excluded.has(id)).slice(0, options.k);
    adapters = chosen.map((id, i) => ({
      id,
      rank: i + 1,
      distance: null,
      similarity: null,
      weight: 1 / chosen.length,
    }));
  } else {
    const chosen = selectNeighbors(source, options);
    adapters = chosen.map((n, i) => ({
      id: n.id,
      rank: i + 1,
      distance: n.distance,
      similarity: jsonSimilarity(similarityFromDistance(options.metric, n.distance)),
      weight: 1 / chosen.length,
    }));
  }
  return {
    weighting: "uniform",
    metric: options.metric,
    temperature: null,
    k: options.k,
    exclude: [...options.exclude],
    similarity: similarityKind(options.metric),
    adapters,
  };
}

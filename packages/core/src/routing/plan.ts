import { type Candidate, nearestAdapters } from "./nearest.js";
import { type Neighbor, selectNeighbors } from "./neighbor.js";
import { ROUTING_DEFAULTS, type RoutingOptions } from "./options.js";
import type { FusionPlan } from "./plan-schema.js";
import { jsonSimilarity, similarityFromDistance, similarityKind } from "./similarity.js";
import { softmaxWeights } from "./softmax.js";

/**
 * Fusion plan from neighbours with known distances (from `nearestAdapters` or a database).
 * Drops excluded ids, re-validates and re-sorts, keeps the top k, and weights them by
 * softmax(similarity / temperature). No eligible neighbour gives an empty plan, not an error.
 *
 * Similarity is 1/distance (euclidean, the SemLA default) or cosine similarity. Note the SemLA
 * reference code sorts cosine *distance* in descending order, i.e. picks the least similar
 * adapters; here both metrics rank by similarity, most similar first (see similarity.ts).
 *
 * The options are parsed already (the API's schema, or parseRoutingOptions at another edge).
 */
export function planFromNeighbors(neighbors: readonly Neighbor[], options: RoutingOptions = ROUTING_DEFAULTS): FusionPlan {
  const chosen = selectNeighbors(neighbors, options);
  const similarities = chosen.map((n) => similarityFromDistance(options.metric, n.distance));
  const weights = softmaxWeights(similarities, options.temperature);
  return {
    weighting: "softmax",
    metric: options.metric,
    temperature: options.temperature,
    k: options.k,
    exclude: [...options.exclude],
    similarity: similarityKind(options.metric),
    adapters: chosen.map((n, i) => ({
      id: n.id,
      rank: i + 1,
      distance: n.distance,
      similarity: jsonSimilarity(similarities[i] as number),
      weight: weights[i] as number,
    })),
  };
}

/** The whole routing step: find the k nearest centroids, weight them. */
export function route(query: ArrayLike<number>, candidates: readonly Candidate[], options: RoutingOptions = ROUTING_DEFAULTS): FusionPlan {
  return planFromNeighbors(nearestAdapters(query, candidates, options), options);
}

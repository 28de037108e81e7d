import { z } from "zod";
import type { Metric } from "./distance.js";

/** Which similarity the softmax weights are computed from; named in the plan for explainability. */
export const SimilarityKindSchema = z.enum(["inverse-euclidean", "cosine"]);
export type SimilarityKind = z.infer<typeof SimilarityKindSchema>;

export function similarityKind(metric: Metric): SimilarityKind {
  return metric === "euclidean" ? "inverse-euclidean" : "cosine";
}

/**
 * Similarity from a validated distance; larger means closer, so ranking by distance ascending is
 * ranking by similarity descending for both metrics.
 *
 * - euclidean: 1 / distance, the SemLA reference default. A zero distance gives +Infinity, which
 *   the softmax treats as "takes all the weight".
 * - cosine: 1 − cosineDistance, i.e. the cosine similarity. The SemLA reference code sorts cosine
 *   *distance* in descending order, so it picks the least similar adapters; we deliberately rank
 *   by similarity, most similar first.
 */
export function similarityFromDistance(metric: Metric, distance: number): number {
  return metric === "euclidean" ? 1 / distance : 1 - distance;
}

/** JSON has no Infinity; the plan carries an infinite similarity as null (see the schema). */
export function jsonSimilarity(s: number): number | null {
  return s === Infinity ? null : s;
}

/** Routing: pick the adapters whose domain centroids are nearest the query, and weight them. */

export { cosineDistance, distance, euclideanDistance, type Metric, MetricSchema } from "./distance.js";
export { RoutingError, type RoutingErrorCode } from "./errors.js";
export { type Candidate, type NearestOptions, nearestAdapters } from "./nearest.js";
export { compareNeighbors, type Neighbor, NeighborSchema } from "./neighbor.js";
export {
  parseRoutingOptions,
  ROUTING_DEFAULTS,
  type RoutingOptions,
  type RoutingOptionsInput,
  RoutingOptionsSchema,
} from "./options.js";
export { planFromNeighbors, route } from "./plan.js";
export {
  type FusionPlan,
  FusionPlanSchema,
  type PlannedAdapter,
  PlannedAdapterSchema,
  type Weighting,
  WeightingSchema,
} from "./plan-schema.js";
export { type SimilarityKind, SimilarityKindSchema, similarityFromDistance } from "./similarity.js";
export { softmaxWeights } from "./softmax.js";
export { type UniformOptions, uniformPlan } from "./uniform.js";

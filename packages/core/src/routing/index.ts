/** Routing: pick the adapters whose domain centroids are nearest the query, and weight them. */
export { RoutingError, type RoutingErrorCode } from "./errors.js";
export { MetricSchema, type Metric, euclideanDistance, cosineDistance, distance } from "./distance.js";
export {
  RoutingOptionsSchema,
  type RoutingOptions,
  type RoutingOptionsInput,
  parseRoutingOptions,
  ROUTING_DEFAULTS,
} from "./options.js";
export { NeighborSchema, type Neighbor, compareNeighbors } from "./neighbor.js";
export { nearestAdapters, type Candidate, type NearestOptions } from "./nearest.js";
export { SimilarityKindSchema, type SimilarityKind, similarityFromDistance } from "./similarity.js";
export { softmaxWeights } from "./softmax.js";
export {
  FusionPlanSchema,
  type FusionPlan,
  PlannedAdapterSchema,
  type PlannedAdapter,
  WeightingSchema,
  type Weighting,
} from "./plan-schema.js";
export { planFromNeighbors, route } from "./plan.js";
export { uniformPlan, type UniformOptions } from "./uniform.js";

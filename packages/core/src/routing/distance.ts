import { z } from "zod";
import { RoutingError } from "./errors.js";
import { cosineKernel, euclideanKernel } from "./kernels.js";
import { assertFiniteVector, assertNonZero, assertSameDimension } from "./vector.js";

/** How a query embedding is compared with adapter centroids. */
export const MetricSchema = z.enum(["euclidean", "cosine"]).describe("Distance between the query embedding and adapter centroids");
export type Metric = z.infer<typeof MetricSchema>;

/** Distances must be finite to be ranked; only Float64 overflow can break that here. */
function finiteDistance(d: number, metric: Metric): number {
  if (!Number.isFinite(d)) {
    throw new RoutingError("routing.non-finite", `${metric} distance overflows Float64`, { metric });
  }
  return d;
}

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>): void {
  assertFiniteVector(a, "a");
  assertFiniteVector(b, "b");
  assertSameDimension(a, "a", b, "b");
}

/** ‖a − b‖₂, in Float64. */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b);
  return finiteDistance(euclideanKernel(a, b), "euclidean");
}

/** 1 − cos(a, b), in [0, 2]; throws for a zero vector, whose direction is undefined. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b);
  assertNonZero(a, "a");
  assertNonZero(b, "b");
  return cosineKernel(a, b);
}

export function distance(metric: Metric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  return metric === "euclidean" ? euclideanDistance(a, b) : cosineDistance(a, b);
}

// Test fixtures for routing: a small library of candidates and the RoutingError a call throws.
import { RoutingError } from "../routing/errors.js";
import type { Candidate } from "../routing/nearest.js";

/** Runs fn and returns the RoutingError it throws (failing the test otherwise). */
export function routingErrorFrom(fn: () => unknown): RoutingError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RoutingError) return error;
    throw error;
  }
  throw new Error("expected a RoutingError");
}

/** Query at the origin: distances are the centroid norms 5, 2, 1, 10 (similarities 0.2, 0.5, 1, 0.1). */
export const LIBRARY: Candidate[] = [
  { id: "a", centroid: [3, 4] },
  { id: "b", centroid: [0, 2] },
  { id: "c", centroid: [1, 0] },
  { id: "d", centroid: [6, 8] },
];
export const ORIGIN = [0, 0];

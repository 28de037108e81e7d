import { SemlaError } from "../errors.js";

/** Stable codes, so the API and tests can branch on the failure without parsing messages. */
export type RoutingErrorCode =
  | "routing.dimension-mismatch"
  | "routing.empty-vector"
  | "routing.non-finite"
  | "routing.zero-vector"
  | "routing.invalid-distance"
  | "routing.duplicate-id"
  | "routing.invalid-options";

/** Bad input to routing: a malformed embedding, neighbour list or options object. */
export class RoutingError extends SemlaError {
  declare readonly code: RoutingErrorCode;

  constructor(code: RoutingErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

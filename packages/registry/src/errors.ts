import { type ErrorKind, kindOfRule, SemlaError } from "@semla/core";

export type RegistryRule =
  | "unknown-library"
  | "unknown-adapter"
  | "library-exists"
  | "library-not-empty"
  | "dimension-mismatch"
  | "non-finite-centroid"
  | "invalid-centroid"
  | "base-model-mismatch"
  | "module-shape-mismatch"
  | "unknown-module"
  | "invalid-name"
  | "invalid-cursor"
  | "invalid-limit"
  | "invalid-dimension"
  | "invalid-text"
  | "unavailable"
  | "conflict";

const KINDS: Partial<Record<RegistryRule, ErrorKind>> = {
  "unknown-library": "not-found",
  "unknown-adapter": "not-found",
  "library-exists": "conflict",
  "library-not-empty": "conflict",
  conflict: "conflict",
  unavailable: "unavailable",
};

/** A registry request that cannot be carried out, naming what was wrong. */
export class RegistryError extends SemlaError {
  readonly rule: RegistryRule;

  constructor(rule: RegistryRule, message: string, details: Record<string, unknown> = {}) {
    super(`registry.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

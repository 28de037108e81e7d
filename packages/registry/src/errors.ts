import { SemlaError } from "@semla/core";

export type RegistryRule =
  | "unknown-library"
  | "unknown-adapter"
  | "library-exists"
  | "dimension-mismatch"
  | "non-finite-centroid"
  | "invalid-centroid"
  | "base-model-mismatch"
  | "module-shape-mismatch"
  | "invalid-name"
  | "missing-object"
  | "integrity"
  | "invalid-cursor"
  | "invalid-limit"
  | "invalid-dimension";

/** A registry request that cannot be carried out, naming what was wrong. */
export class RegistryError extends SemlaError {
  readonly rule: RegistryRule;

  constructor(rule: RegistryRule, message: string, details: Record<string, unknown> = {}) {
    super(`registry.${rule}`, message, { rule, ...details });
    this.rule = rule;
  }
}

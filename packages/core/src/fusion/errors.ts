import { SemlaError } from "../errors.js";

export type FusionRule = "no-adapters" | "invalid-weight" | "invalid-options" | "shape-mismatch" | "rank-mismatch" | "rank-too-large" | "base-model-mismatch" | "fan-in-fan-out-mismatch";

/** Adapters that cannot be fused together, or options that make no sense, naming the module. */
export class FusionError extends SemlaError {
  readonly rule: FusionRule;

  constructor(rule: FusionRule, message: string, details: Record<string, unknown> = {}) {
    super(`fusion.${rule}`, message, { rule, ...details });
    this.rule = rule;
  }
}

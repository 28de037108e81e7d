import { type ErrorKind, kindOfRule, SemlaError } from "@semla/core";

export type AdapterRule = "missing-object" | "integrity";

const KINDS: Record<AdapterRule, ErrorKind> = {
  // The service's own store lost or altered an object it acknowledged: a 500 (logged), wherever it is found.
  "missing-object": "internal",
  integrity: "internal",
};

/** A stored adapter (a source, or a fused object) that the store does not hold as promised. */
export class AdapterError extends SemlaError {
  readonly rule: AdapterRule;

  constructor(rule: AdapterRule, message: string, details: Record<string, unknown> = {}) {
    super(`adapters.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

export type AdapterReferenceRule = "integrity" | "no-store";

/** A reference that contradicts itself (inline bytes or a manifest not matching the sha256 they come under), or that this process cannot fetch. */
export class AdapterReferenceError extends SemlaError {
  readonly rule: AdapterReferenceRule;

  constructor(rule: AdapterReferenceRule, message: string, details: Record<string, unknown> = {}) {
    super(`adapter-reference.${rule}`, message, { rule, ...details });
    this.rule = rule;
  }
}

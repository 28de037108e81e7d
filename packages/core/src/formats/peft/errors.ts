import { type ErrorKind, kindOfRule, SemlaError } from "../../errors.js";

export type AdapterFormatRule =
  | "config-json"
  | "config-invalid"
  | "config-too-large"
  | "config-too-deep"
  | "unsupported-kind"
  | "unknown-tensor"
  | "unpaired-module"
  | "shape"
  | "rank-mismatch"
  | "untargeted-module"
  | "no-modules"
  | "pattern";

const KINDS: Partial<Record<AdapterFormatRule, ErrorKind>> = { "config-too-large": "too-large" };

/** A PEFT adapter (config or weights) that cannot be served, naming the module and the rule. */
export class AdapterFormatError extends SemlaError {
  readonly rule: AdapterFormatRule;
  readonly module: string | undefined;

  constructor(rule: AdapterFormatRule, message: string, details: { module?: string } & Record<string, unknown> = {}) {
    super(`adapter.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
    this.module = details.module;
  }
}

import { SemlaError } from "../../errors.js";

export type AdapterFormatRule =
  | "config-json"
  | "config-invalid"
  | "unsupported-kind"
  | "unknown-tensor"
  | "unpaired-module"
  | "shape"
  | "rank-mismatch"
  | "untargeted-module"
  | "no-modules"
  | "pattern";

/** A PEFT adapter (config or weights) that cannot be served, naming the module and the rule. */
export class AdapterFormatError extends SemlaError {
  readonly rule: AdapterFormatRule;
  readonly module: string | undefined;

  constructor(rule: AdapterFormatRule, message: string, details: { module?: string } & Record<string, unknown> = {}) {
    super(`adapter.${rule}`, message, { rule, ...details });
    this.rule = rule;
    this.module = details.module;
  }
}

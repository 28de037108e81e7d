import { type ErrorKind, kindOfRule, SemlaError } from "@semla/core";

export type PipelineRule = "embedding-dimension" | "embedding-model-mismatch" | "invalid-options" | "adapter-inactive" | "nothing-to-fuse" | "out-of-library";

/** Rules not answered as invalid input (400). */
const KINDS: Partial<Record<PipelineRule, ErrorKind>> = { "out-of-library": "unprocessable" };

/** A request the pipeline cannot serve as asked, naming what was wrong (the API maps it to a 4xx). */
export class PipelineError extends SemlaError {
  readonly rule: PipelineRule;

  constructor(rule: PipelineRule, message: string, details: Record<string, unknown> = {}) {
    super(`pipeline.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

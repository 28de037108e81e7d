import { SemlaError } from "@semla/core";

export type SegmentationRule =
  | "unknown-class"
  | "no-classes"
  | "too-many-classes"
  | "invalid-class-name"
  | "class-name-too-long"
  | "duplicate-class-name"
  | "unknown-module"
  | "module-shape"
  | "model-output";

/** A segmentation request that cannot be carried out, naming what was wrong. */
export class SegmentationError extends SemlaError {
  readonly rule: SegmentationRule;

  constructor(rule: SegmentationRule, message: string, details: Record<string, unknown> = {}) {
    super(`segment.${rule}`, message, { rule, ...details });
    this.rule = rule;
  }
}

import { SemlaError } from "@semla/core";

export type ImageRule = "undecodable" | "too-large" | "unsupported-format";

/** An input image that cannot be used, naming why (the API maps it to a 4xx). */
export class ImageError extends SemlaError {
  readonly rule: ImageRule;

  constructor(rule: ImageRule, message: string, details: Record<string, unknown> = {}) {
    super(`image.${rule}`, message, { rule, ...details }, rule === "too-large" ? "too-large" : "invalid");
    this.rule = rule;
  }
}

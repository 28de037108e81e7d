import { type ErrorKind, type ErrorReply, errorReplyOf, kindOfRule, SemlaError } from "@semla/core";

export type EndpointRule = "not-ready" | "bank-not-ready" | "payload-too-large" | "headers-too-large" | "malformed-request" | "unsupported-media-type" | "not-found" | "internal";

const KINDS: Partial<Record<EndpointRule, ErrorKind>> = {
  "not-ready": "unavailable",
  "bank-not-ready": "unavailable",
  "payload-too-large": "too-large",
  "headers-too-large": "headers-too-large",
  "unsupported-media-type": "unsupported-media-type",
  "not-found": "not-found",
  internal: "internal",
};

/** A request the endpoint refuses before it reaches the model. */
export class EndpointError extends SemlaError {
  readonly rule: EndpointRule;

  constructor(rule: EndpointRule, message: string, details: Record<string, unknown> = {}) {
    super(`endpoint.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

export type { ErrorReply };

/** The one mapping from an error to the reply: core's, by the error's kind (as the API answers). */
export function errorReply(error: unknown): ErrorReply {
  return errorReplyOf(error, "endpoint.internal");
}

import { type ErrorKind, kindOfRule, kindOfStatus, SemlaError } from "@semla/core";

export type BackendRule = "payload-too-large" | "timeout" | "unavailable" | "scaling-from-zero" | "invalid-response" | "rejected";

const KINDS: Partial<Record<BackendRule, ErrorKind>> = {
  "payload-too-large": "too-large",
  timeout: "timeout",
  unavailable: "unavailable",
  // The endpoint's inference component has no copies (scaled to zero): 503 with Retry-After, the
  // client retries the same request once the GPU is back (minutes).
  "scaling-from-zero": "unavailable",
  "invalid-response": "bad-gateway",
};

/** Inference that could not be carried out by the backend, as opposed to a request the endpoint refused. */
export class BackendError extends SemlaError {
  readonly rule: BackendRule;

  constructor(rule: BackendRule, message: string, details: Record<string, unknown> = {}) {
    super(`backend.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

/**
 * An error the endpoint reported about the request, with the endpoint's own code, message and details:
 * the local backend raises the same SemlaErrors in-process, so both backends fail alike.
 */
export class EndpointReportedError extends SemlaError {
  constructor(
    code: string,
    message: string,
    details: Record<string, unknown>,
    readonly status: number,
  ) {
    // The endpoint's own failure (5xx) is a bad gateway here, not the caller's fault.
    super(code, message, details, status >= 500 ? "bad-gateway" : kindOfStatus(status));
  }
}

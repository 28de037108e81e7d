import { isSemlaError, SemlaError } from "@semla/core";

export type EndpointRule = "not-ready" | "payload-too-large" | "unsupported-media-type" | "not-found" | "internal";

/** A request the endpoint refuses before it reaches the model. */
export class EndpointError extends SemlaError {
  readonly rule: EndpointRule;

  constructor(rule: EndpointRule, message: string, details: Record<string, unknown> = {}) {
    super(`endpoint.${rule}`, message, { rule, ...details });
    this.rule = rule;
  }
}

const STATUS_BY_CODE: Readonly<Record<string, 404 | 413 | 415 | 503>> = {
  "endpoint.not-ready": 503,
  "endpoint.payload-too-large": 413,
  "endpoint.unsupported-media-type": 415,
  "endpoint.not-found": 404,
};

/** Codes of failures inside the service (the runtime, the model files): never the caller's fault. */
const INTERNAL_PREFIXES = ["ort.", "onnx.", "endpoint.internal"];

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> };
}

export interface ErrorReply {
  readonly status: 400 | 404 | 413 | 415 | 500 | 503;
  readonly body: ErrorBody;
  /** Whether the error is the service's own, to be logged (its text stays out of the reply). */
  readonly internal: boolean;
}

const INTERNAL: ErrorBody = { error: { code: "endpoint.internal", message: "internal error", details: {} } };

/** The one mapping from an error to the reply: SemlaErrors (bad input) are 4xx with their code, the rest a bare 500. */
export function errorReply(error: unknown): ErrorReply {
  if (!isSemlaError(error) || INTERNAL_PREFIXES.some((prefix) => error.code.startsWith(prefix))) {
    return { status: 500, body: INTERNAL, internal: true };
  }
  const status = STATUS_BY_CODE[error.code] ?? (error.code.endsWith(".payload-too-large") ? 413 : 400);
  return { status, body: { error: { code: error.code, message: error.message, details: error.details } }, internal: false };
}

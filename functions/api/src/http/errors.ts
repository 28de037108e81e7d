import { z } from "@hono/zod-openapi";
import { type ErrorKind, type ErrorReply, errorReplyOf, kindOfRule, SemlaError } from "@semla/core";
import { HTTPException } from "hono/http-exception";

export type ApiRule =
  | "missing-key"
  | "invalid-key"
  | "missing-admin-token"
  | "invalid-admin-token"
  | "unknown-key"
  | "not-found"
  | "method-not-allowed"
  | "invalid-request"
  | "malformed-json"
  | "malformed-body"
  | "payload-too-large"
  | "answer-too-large"
  | "uri-too-long"
  | "headers-too-large"
  | "malformed-request"
  | "unsupported-media-type"
  | "upload-missing"
  | "not-available"
  | "internal";

const KINDS: Partial<Record<ApiRule, ErrorKind>> = {
  "missing-key": "unauthorised",
  "invalid-key": "unauthorised",
  "missing-admin-token": "unauthorised",
  "invalid-admin-token": "unauthorised",
  "unknown-key": "not-found",
  "not-found": "not-found",
  "method-not-allowed": "method-not-allowed",
  "payload-too-large": "too-large",
  "answer-too-large": "too-large",
  "uri-too-long": "uri-too-long",
  "headers-too-large": "headers-too-large",
  "unsupported-media-type": "unsupported-media-type",
  "not-available": "not-implemented",
  internal: "internal",
};

const INTERNAL_CODE = "api.internal";

export type { ErrorReply };

/** A request the API itself refuses (auth, shape, size); everything below raises its own SemlaErrors. */
export class ApiError extends SemlaError {
  constructor(rule: ApiRule, message: string, details: Record<string, unknown> = {}) {
    super(`api.${rule}`, message, details, kindOfRule(KINDS, rule));
  }
}

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe("Stable machine-readable code, e.g. registry.unknown-adapter"),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The one mapping from an error to the reply (used by the app's onError): core's, by the error's kind. */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own refusals: its validators' "Malformed JSON in request body", the media-type gate.
    const rule: ApiRule = error.status === 415 ? "unsupported-media-type" : error.status === 413 ? "payload-too-large" : /json/i.test(error.message) ? "malformed-json" : "malformed-body";
    return errorReplyOf(new ApiError(rule, error.message || "bad request"), INTERNAL_CODE);
  }
  return errorReplyOf(error, INTERNAL_CODE);
}

import { isSemlaError, SemlaError } from "@semla/core";
import { EndpointReportedError } from "@semla/inference";
import { HTTPException } from "hono/http-exception";
import { z } from "@hono/zod-openapi";

export type ApiRule =
  | "missing-key"
  | "invalid-key"
  | "not-found"
  | "invalid-request"
  | "malformed-json"
  | "payload-too-large"
  | "unsupported-media-type"
  | "upload-missing"
  | "not-available"
  | "internal";

/** A request the API itself refuses (auth, shape, size); everything below raises its own SemlaErrors. */
export class ApiError extends SemlaError {
  constructor(rule: ApiRule, message: string, details: Record<string, unknown> = {}) {
    super(`api.${rule}`, message, details);
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

export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 500 | 501 | 502 | 503 | 504;

const STATUS_BY_CODE: Readonly<Record<string, ErrorStatus>> = {
  "api.missing-key": 401,
  "api.invalid-key": 401,
  "api.not-found": 404,
  "api.payload-too-large": 413,
  "api.unsupported-media-type": 415,
  "api.not-available": 501,
  "registry.unknown-library": 404,
  "registry.unknown-adapter": 404,
  "registry.library-exists": 409,
  "backend.payload-too-large": 413,
  "backend.timeout": 504,
  "backend.unavailable": 503,
  "backend.invalid-response": 502,
};

/** Codes of failures inside the service (runtime, model files, the store): never the caller's fault. */
const INTERNAL_PREFIXES = ["ort.", "onnx.", "api.internal", "registry.missing-object", "registry.integrity"];

export interface ErrorReply {
  readonly status: ErrorStatus;
  readonly body: ErrorBody;
  /** The service's own failure: logged with its stack, its text kept out of the reply. */
  readonly internal: boolean;
}

const INTERNAL: ErrorBody = { error: { code: "api.internal", message: "internal error", details: {} } };

/** The one mapping from an error to the reply (used by the app's onError). */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own refusals: its validators' "Malformed JSON in request body", the media-type gate.
    const [status, code]: [ErrorStatus, string] =
      error.status === 415 ? [415, "api.unsupported-media-type"] : error.status === 413 ? [413, "api.payload-too-large"] : [400, /json/i.test(error.message) ? "api.malformed-json" : "api.malformed-body"];
    return { status, body: { error: { code, message: error.message || "bad request", details: {} } }, internal: false };
  }
  if (!isSemlaError(error) || INTERNAL_PREFIXES.some((prefix) => error.code.startsWith(prefix))) {
    return { status: 500, body: INTERNAL, internal: true };
  }
  let status: ErrorStatus = STATUS_BY_CODE[error.code] ?? (error.code.endsWith(".payload-too-large") || error.code.endsWith(".too-large") ? 413 : 400);
  // The endpoint's 5xx (its own failure) stays a 5xx here: a bad gateway, not the caller's fault.
  if (error instanceof EndpointReportedError && error.status >= 500) status = 502;
  return { status, body: { error: { code: error.code, message: error.message, details: { ...error.details } } }, internal: status >= 500 };
}

/**
 * Every error the service raises on purpose is a SemlaError: a stable machine-readable `code`,
 * a human message, `details` naming what was wrong, and a `kind` saying whose fault it is and how
 * to answer it. The kind → HTTP status table below is the only one: the API and the endpoint both
 * answer with `httpStatusOf(error.kind)`.
 */
export const ERROR_KINDS = [
  "invalid",
  "unauthorised",
  "not-found",
  "method-not-allowed",
  "conflict",
  "unprocessable",
  "too-large",
  "uri-too-long",
  "headers-too-large",
  "unsupported-media-type",
  "unavailable",
  "timeout",
  "bad-gateway",
  "not-implemented",
  "internal",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

const HTTP_STATUS: Readonly<Record<ErrorKind, ErrorStatus>> = {
  invalid: 400,
  unauthorised: 401,
  "not-found": 404,
  // The path is served, with other methods: the answer names them in Allow.
  "method-not-allowed": 405,
  conflict: 409,
  // Well-formed and understood, but refused on its content (an out-of-library query under the refuse policy).
  unprocessable: 422,
  "too-large": 413,
  // The request line or headers, not the body: a client that shortens the URL can retry, one that
  // shrinks the body cannot help (HTTP keeps them apart for that reason).
  "uri-too-long": 414,
  "headers-too-large": 431,
  "unsupported-media-type": 415,
  internal: 500,
  "not-implemented": 501,
  "bad-gateway": 502,
  unavailable: 503,
  timeout: 504,
};

export type ErrorStatus = 400 | 401 | 404 | 405 | 409 | 413 | 414 | 415 | 422 | 431 | 500 | 501 | 502 | 503 | 504;

/** The HTTP status a kind of error is answered with (API and endpoint alike). */
export function httpStatusOf(kind: ErrorKind): ErrorStatus {
  return HTTP_STATUS[kind];
}

/** The kind an HTTP status stands for (an error another service reported): the inverse of httpStatusOf. */
export function kindOfStatus(status: number): ErrorKind {
  for (const kind of ERROR_KINDS) if (HTTP_STATUS[kind] === status) return kind;
  if (status === 408) return "timeout";
  if (status === 429) return "unavailable";
  return status >= 500 ? "bad-gateway" : "invalid";
}

/**
 * Seconds a client should wait before retrying an `unavailable` (or `timeout`) answer, unless the
 * error names its own in `details.retryAfterSeconds` (a GPU scaling from zero takes minutes).
 */
export const RETRY_AFTER_SECONDS = 5;

/** The error's own `details.retryAfterSeconds` (a whole number of seconds, 1 or more), else RETRY_AFTER_SECONDS. */
function retryAfterOf(error: SemlaError): number {
  const own = error.details.retryAfterSeconds;
  return typeof own === "number" && Number.isInteger(own) && own >= 1 ? own : RETRY_AFTER_SECONDS;
}

export class SemlaError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly kind: ErrorKind;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, kind: ErrorKind = "invalid") {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
    this.kind = kind;
  }
}

export function isSemlaError(error: unknown): error is SemlaError {
  return error instanceof SemlaError;
}

/**
 * The kind of each rule of an error family, spelled out once beside the family's rules; a rule not
 * listed is the caller's input (`invalid`).
 */
export function kindOfRule<R extends string>(kinds: Partial<Readonly<Record<R, ErrorKind>>>, rule: R): ErrorKind {
  return kinds[rule] ?? "invalid";
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> };
}

export interface ErrorReply {
  readonly status: ErrorStatus;
  readonly body: ErrorBody;
  /** The service's own failure: logged with its stack, its text kept out of the reply. */
  readonly internal: boolean;
  /** Seconds for a Retry-After header (dependency outages and time-outs). */
  readonly retryAfter?: number;
}

/**
 * The one mapping from an error to an HTTP reply, for every server of the service: a SemlaError by its
 * kind, anything else a bare 500 with `internalCode` (its text never reaches the client).
 */
export function errorReplyOf(error: unknown, internalCode: string): ErrorReply {
  if (!isSemlaError(error) || error.kind === "internal") {
    return { status: 500, body: { error: { code: internalCode, message: "internal error", details: {} } }, internal: true };
  }
  const status = httpStatusOf(error.kind);
  const body = { error: { code: error.code, message: error.message, details: { ...error.details } } };
  const retry = error.kind === "unavailable" || error.kind === "timeout";
  return { status, body, internal: status >= 500 && !retry, ...(retry ? { retryAfter: retryAfterOf(error) } : {}) };
}

/**
 * The headers an error reply carries, for every server of the service:
 * - `Retry-After` on outages and time-outs;
 * - `Connection: close` when the request's body was not read (refused before it: a wrong key, media
 *   type or URL; or too large): the server would have to drain it, and drops the socket when that
 *   takes long, under a client that meant to reuse it for its next request.
 */
export function errorReplyHeaders(reply: ErrorReply, request: { readonly bodyUnread: boolean }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (reply.retryAfter !== undefined) headers["retry-after"] = String(reply.retryAfter);
  if (reply.status === 413 || reply.status === 414 || request.bodyUnread) headers.connection = "close";
  return headers;
}

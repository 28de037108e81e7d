import { isSemlaError } from "@semla/core";
import { RegistryError } from "../errors.js";

/**
 * Database outages: the one place where a driver's failure to reach PostgreSQL (or PGlite) becomes
 * `registry.unavailable` (503 with Retry-After). Each driver names the failures that mean "the
 * database is not there right now"; anything else (a constraint, a caller's bad value, our own bug)
 * passes through unchanged, so a caller's mistake never reads as an outage.
 */

/** A driver's reading of an error: the reason it is an outage (a short code), or undefined. */
export type OutageClassifier = (error: unknown) => string | undefined;

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && name in value ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * The error itself and what it wraps: drizzle wraps every driver error in DrizzleQueryError
 * (`cause`), Node's connect to several addresses throws an AggregateError (`errors`).
 */
function* chain(error: unknown, depth = 0): Generator<unknown> {
  if (depth > 8 || error === undefined || error === null) return;
  yield error;
  yield* chain(field(error, "cause"), depth + 1);
  const errors = field(error, "errors");
  if (Array.isArray(errors)) for (const inner of errors) yield* chain(inner, depth + 1);
}

/** Socket failures: the server is down, restarting, or unreachable. */
const NETWORK_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND", "ECONNABORTED"]);

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 53 (insufficient resources:
 * disk full, out of memory, too many connections), 57P01 admin shutdown, 57P02 crash shutdown,
 * 57P03 cannot connect now (starting up, in recovery), 57014 query cancelled (statement_timeout).
 */
function isOutageState(state: string): boolean {
  return /^(08|53)[0-9A-Z]{3}$/.test(state) || state === "57P01" || state === "57P02" || state === "57P03" || state === "57014";
}

/**
 * What node-postgres and pg-pool say, without a code, when the connection is lost or cannot be
 * had in time: "Connection terminated unexpectedly", "Connection terminated due to connection
 * timeout", "timeout exceeded when trying to connect" (pool), "Query read timeout" (query_timeout),
 * "Client has encountered a connection error and is not queryable".
 */
const PG_MESSAGES: readonly [RegExp, string][] = [
  [/^Connection terminated due to connection timeout/, "connect-timeout"],
  [/^timeout exceeded when trying to connect/, "pool-timeout"],
  [/^Connection terminated/, "connection-terminated"],
  [/^Query read timeout/, "query-timeout"],
  [/connection error and is not queryable/, "connection-lost"],
];

/** PostgreSQL over the network (node-postgres and pg-pool). */
export const pgOutage: OutageClassifier = (error) => {
  for (const link of chain(error)) {
    if (isSemlaError(link)) return undefined;
    const code = field(link, "code");
    if (typeof code === "string") {
      if (NETWORK_ERRNOS.has(code)) return code;
      if (/^[0-9A-Z]{5}$/.test(code) && isOutageState(code)) return code;
    }
    const message = field(link, "message");
    if (typeof message === "string") {
      for (const [pattern, reason] of PG_MESSAGES) if (pattern.test(message)) return reason;
    }
  }
  return undefined;
};

/**
 * PGlite, in the process: it has no network, but its files can fail (disk full, I/O errors:
 * SQLSTATE class 53 and 58030), and a closed instance refuses every query.
 */
export const pgliteOutage: OutageClassifier = (error) => {
  for (const link of chain(error)) {
    if (isSemlaError(link)) return undefined;
    const code = field(link, "code");
    if (typeof code === "string" && (/^53[0-9A-Z]{3}$/.test(code) || code === "58030")) return code;
    const message = field(link, "message");
    if (typeof message === "string" && /^PGlite is closed/.test(message)) return "closed";
  }
  return undefined;
};

/**
 * The Data API's exceptions (by name) that mean the database cannot be had right now: a paused
 * Aurora Serverless cluster resuming, the writer or the service unavailable, a call over the
 * Data API's own time limit, the secret it reads the credentials from missing or unreadable (a
 * rotation, a misconfigured stack), IAM refusing the call, a transaction the service no longer
 * knows (it ends one idle for 3 minutes).
 */
const DATA_API_OUTAGES = new Set([
  "DatabaseResumingException",
  "DatabaseUnavailableException",
  "DatabaseNotFoundException",
  "ServiceUnavailableError",
  "InternalServerErrorException",
  "StatementTimeoutException",
  "HttpEndpointNotEnabledException",
  "InvalidResourceStateException",
  "SecretsErrorException",
  "InvalidSecretException",
  "AccessDeniedException",
  "ForbiddenException",
  "TransactionNotFoundException",
  "TimeoutError",
]);

/**
 * Aurora through the Data API (HTTPS): its outage exceptions, a DatabaseErrorException whose
 * SQLState (in its message, "...; SQLState: 57014") is an outage's, and the network's failures.
 */
export const dataApiOutage: OutageClassifier = (error) => {
  for (const link of chain(error)) {
    if (isSemlaError(link)) return undefined;
    const name = field(link, "name");
    if (typeof name === "string" && DATA_API_OUTAGES.has(name)) return name;
    const message = field(link, "message");
    if (name === "DatabaseErrorException" && typeof message === "string") {
      const state = /SQLState: ([0-9A-Z]{5})/.exec(message)?.[1];
      if (state && isOutageState(state)) return state;
    }
    const code = field(link, "code");
    if (typeof code === "string" && NETWORK_ERRNOS.has(code)) return code;
  }
  return undefined;
};

export function databaseUnavailable(reason: string): RegistryError {
  return new RegistryError("unavailable", `the registry database is unavailable (${reason}); try again shortly`, { reason });
}

/**
 * The store with every method's failure read by the driver's classifier: an outage becomes
 * `registry.unavailable`, anything else is rethrown as it was. Applied once per store the driver
 * opens (the adapter index, API keys, contributions), so no caller sees a raw driver error for an
 * outage.
 */
export function guardOutages<T extends object>(store: T, classify: OutageClassifier): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== "function") {
      guarded[name] = value;
      continue;
    }
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => unknown).apply(store, args);
      } catch (error) {
        const reason = classify(error);
        throw reason === undefined ? error : databaseUnavailable(reason);
      }
    };
  }
  return guarded as T;
}

/**
 * Which classifier reads a database's errors: set by the driver that opened it (pg-index,
 * pglite-index), read by the stores that share it (API keys, contributions).
 */
const classifiers = new WeakMap<object, OutageClassifier>();

export function registerOutageClassifier(db: object, classify: OutageClassifier): void {
  classifiers.set(db, classify);
}

/** The classifier of a database a driver opened; for one opened elsewhere, PostgreSQL's (its errors are the network's). */
export function outageClassifierOf(db: object): OutageClassifier {
  return classifiers.get(db) ?? pgOutage;
}

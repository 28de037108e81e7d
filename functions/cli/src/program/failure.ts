/**
 * The one place a failure becomes what `semla` prints and its exit status. Expected failures (a
 * usage mistake, a SemlaError, an unreachable server, a missing file, a port in use) are one line
 * naming the problem and the fix; only an unexpected error prints its stack.
 */
import { isSemlaError } from "@semla/core";
import { CommanderError } from "commander";

/** Exit statuses: 0 done, 1 the command failed, 2 it was used wrongly (its usage was printed). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The API at `url` could not be reached at all (connection refused, no such host, reset): the cause is fetch's. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(`cannot reach ${url}`);
    this.name = "UnreachableError";
  }
}

/** A usage mistake found after parsing (options that do not go together); printed with the command's usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface Failure {
  /** The line(s) to write to stderr; "" when commander has written them already (usage, --help, --version). */
  readonly message: string;
  readonly exitCode: number;
}

interface SystemError extends Error {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly address?: string;
  readonly port?: number;
}

function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string" && /^E[A-Z]+$/.test(String((error as { code?: unknown }).code));
}

/** The system error under fetch's "fetch failed" (undici puts it in `cause`, sometimes one level deeper). */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 4 && current instanceof Error && current.cause !== undefined; depth++) current = current.cause;
  return current;
}

function systemMessage(error: SystemError): string | undefined {
  switch (error.code) {
    case "ENOENT":
      return `${error.path ?? "a file"} does not exist: check the path`;
    case "ENOTDIR":
      return `${error.path ?? "a path"} is not a folder (part of it is a file): check the path`;
    case "EISDIR":
      return `${error.path ?? "a path"} is a folder where a file was expected: give a file`;
    case "EACCES":
    case "EPERM":
      return `permission denied on ${error.path ?? "a file"}: check its permissions or pick another path`;
    case "EADDRINUSE":
      return `port ${error.port ?? "?"} is in use${error.address ? ` on ${error.address}` : ""}: stop what listens there, or pick another with --port N (or SEMLA_PORT)`;
    default:
      return undefined;
  }
}

/** What to print and which status to exit with, for anything a command threw. */
export function describeFailure(error: unknown): Failure {
  // commander printed the usage (or help, or the version) itself.
  if (error instanceof CommanderError) return { message: "", exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage };
  if (error instanceof UnreachableError) {
    const cause = rootCause(error.cause);
    const why = isSystemError(cause) ? ` (${cause.code})` : cause instanceof Error ? ` (${cause.message})` : "";
    return {
      message: `semla: cannot reach the API at ${error.url}${why}: start it (npm start in the checkout, or semla serve), or point SEMLA_URL (or --url) at a running one (cli.unreachable)\n`,
      exitCode: EXIT.failed,
    };
  }
  // Errors about the input (SemlaError: a code and a message) are the user's to fix: no stack.
  if (isSemlaError(error)) return { message: `semla: ${error.message} (${error.code})\n`, exitCode: EXIT.failed };
  if (isSystemError(error)) {
    const message = systemMessage(error);
    if (message) return { message: `semla: ${message} (${error.code})\n`, exitCode: EXIT.failed };
  }
  return { message: `semla: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`, exitCode: EXIT.failed };
}

/**
 * Every error core raises on bad input is a SemlaError: a stable machine-readable `code`,
 * a human message, and `details` naming what was wrong. The API maps them to HTTP 4xx once.
 */
export class SemlaError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export function isSemlaError(error: unknown): error is SemlaError {
  return error instanceof SemlaError;
}

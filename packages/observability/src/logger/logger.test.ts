import { describe, expect, it } from "vitest";
import { errorFields } from "./logger.js";

/** drizzle's DrizzleQueryError, as it builds itself: its message lists the parameters. */
class FailedQuery extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    cause: Error,
  ) {
    super(`Failed query: ${query}\nparams: ${params.join(",")}`, { cause });
  }
}

/** node-postgres' DatabaseError, with the fields PostgreSQL sends. */
function databaseError(message: string, fields: Record<string, string>): Error {
  return Object.assign(new Error(message), { name: "error", ...fields });
}

describe("errorFields: an error as log fields, with nothing a lookup was given", () => {
  const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  it("logs a failed query's SQL shape and the database error's class, never its parameters, detail or hint", () => {
    const cause = databaseError(`invalid input syntax for type uuid: "tenant-7"`, {
      code: "22P02",
      severity: "ERROR",
      routine: "string_to_uuid",
      detail: `Key (key_hash)=(${hash}) already exists.`,
      hint: `check ${hash}`,
    });
    const error = new FailedQuery(`select "id" from "api_keys" where "key_hash" = $1 and "tenant" = $2`, [hash, "tenant-7", 5], cause);
    const fields = errorFields(error);
    expect({ ...fields, stack: undefined }).toEqual({
      error: "failed query",
      name: "Error",
      query: `select "id" from "api_keys" where "key_hash" = $1 and "tenant" = $2`,
      causes: [{ name: "error", message: `invalid input syntax for type uuid: "[redacted]"`, code: "22P02", severity: "ERROR", routine: "string_to_uuid" }],
      stack: undefined,
    });
    expect(fields.stack).toMatch(/^\s+at /);
    expect(JSON.stringify(fields)).not.toMatch(new RegExp(`${hash}|tenant-7|params`));
  });

  it("redacts API keys and sha256 digests from any error's message, and keeps the rest", () => {
    expect(errorFields(new Error(`key semla_AbC-12_x or ${hash.toUpperCase()} refused`))).toMatchObject({ error: "key [redacted] or [redacted] refused", name: "Error" });
    expect(errorFields("semla_thrown")).toEqual({ error: "[redacted]" });
  });
});

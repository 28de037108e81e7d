import { findUnstorableText, textProblem } from "@semla/core";
import { RegistryError } from "../errors.js";

/**
 * The registry's own guard on what it sends PostgreSQL (the API's schemas refuse the same at the
 * edge): text with a NUL or a lone surrogate is the caller's mistake, a 400 naming the field, never
 * the database's refusal surfacing as a 500. Returns the value, for use inline.
 */
export function storableText<T extends string | undefined>(field: string, value: T): T {
  const problem = value === undefined ? undefined : textProblem(value);
  if (problem) throw new RegistryError("invalid-text", `${field} ${problem}, which cannot be stored`, { field, problem });
  return value;
}

/** The same for a JSON value (a jsonb column): every key and string at any depth. */
export function storableJson<T>(field: string, value: T): T {
  const found = findUnstorableText(value);
  if (found) {
    const at = [field, ...found.path].join(".");
    throw new RegistryError("invalid-text", `${at} ${found.problem}, which cannot be stored`, { field: at, problem: found.problem });
  }
  return value;
}

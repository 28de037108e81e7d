import { RegistryError } from "../errors.js";
import { isUuid } from "./ids.js";

/**
 * listAdapters pages newest first by (created_at, id); the cursor is the last row's pair, as
 * base64url JSON so callers treat it as opaque. created_at has millisecond precision in the
 * schema, so a JS Date carries it exactly.
 */
export interface ListPosition {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition {
  const invalid = () => new RegistryError("invalid-cursor", "cursor is not one returned by listAdapters", { cursor });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [iso, id] = value as unknown[];
  if (typeof iso !== "string" || typeof id !== "string" || !isUuid(id)) throw invalid();
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) throw invalid();
  return { createdAt, id };
}

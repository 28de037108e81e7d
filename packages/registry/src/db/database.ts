import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type { Schema } from "./schema.js";

/**
 * What the shared implementation needs from drizzle: a PostgreSQL database over the registry
 * schema, whichever driver (node-postgres or PGlite) runs it.
 */
export type RegistryDatabase = PgDatabase<PgQueryResultHKT, Schema>;
export type RegistryTransaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** The rows of a raw `execute`: both drivers answer `{ rows }`, but the common type cannot say so. */
export function resultRows(result: unknown): Record<string, unknown>[] {
  if (typeof result === "object" && result !== null && "rows" in result && Array.isArray(result.rows)) {
    return result.rows as Record<string, unknown>[];
  }
  throw new Error("unexpected query result: no rows");
}

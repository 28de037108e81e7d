import { defineConfig } from "drizzle-kit";

/**
 * drizzle-kit generates the SQL migrations from the registry schema. The history in /migrations
 * runs on both PostgreSQL + pgvector and PGlite (see packages/registry/src/db/migrate.ts).
 * `CREATE EXTENSION vector` is a custom migration of its own, first in the journal: drizzle-kit
 * does not emit it, and the schema migration needs the type.
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./packages/registry/src/db/schema.ts",
  out: "./migrations",
});

/** The adapter index: PostgreSQL + pgvector (pg-index) or PGlite (pglite-index), one implementation. */
export type * from "./adapter-index.js";
export type { DrizzleAdapterIndex } from "./drizzle-index.js";
export { createDrizzleAdapterIndex } from "./drizzle-index.js";
export type { RegistryDatabase } from "./database.js";
export { createPgAdapterIndex, ignoreConnectionErrors, type PgAdapterIndexOptions } from "./pg-index.js";
export { createPgliteAdapterIndex, openPglite, type PgliteAdapterIndexOptions } from "./pglite-index.js";
export { migrateDatabase, MIGRATIONS_FOLDER, type MigrationTarget } from "./migrate.js";
export { HNSW_MAX_DIMENSION, hnswIndexName } from "./hnsw.js";
export { adapters, apiKeys, libraries, schema, type Schema } from "./schema.js";

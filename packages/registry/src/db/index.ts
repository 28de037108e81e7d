/** The adapter index: PostgreSQL + pgvector (pg-index) or PGlite (pglite-index), one implementation. */
export type * from "./adapter-index.js";
export type { DrizzleAdapterIndex } from "./drizzle-index.js";
export { createDrizzleAdapterIndex } from "./drizzle-index.js";
export { requireLibrary, unknownLibrary } from "./require-library.js";
export type { RegistryDatabase } from "./database.js";
export { createPgAdapterIndex, ignoreConnectionErrors, PG_TIMEOUT_DEFAULTS, type PgAdapterIndexOptions } from "./pg-index.js";
export { databaseUnavailable, pgliteOutage, pgOutage, type OutageClassifier } from "./outage.js";
export { createPgliteAdapterIndex, openPglite, type PgliteAdapterIndexOptions } from "./pglite-index.js";
export { migrateDatabase, MIGRATIONS_FOLDER, type MigrationTarget } from "./migrate.js";
export { HNSW_MAX_DIMENSION, hnswIndexName } from "./hnsw.js";
export { adapters, apiKeys, contributions, libraries, schema, type Schema } from "./schema.js";
export { API_KEY_PREFIX, createApiKeyStore, generateApiKey, hashApiKey, type ApiKeyRecord, type ApiKeyStore } from "./api-keys.js";
export { createContributionStore, type AdapterContributionStats, type Contribution, type ContributionStore, type LibraryContributionStats } from "./contributions.js";

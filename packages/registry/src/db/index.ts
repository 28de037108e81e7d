/** The adapter index: PostgreSQL + pgvector (pg-index), Aurora's Data API (data-api-index) or PGlite (pglite-index), one implementation. */
export type * from "./adapter-index.js";
export { API_KEY_PREFIX, type ApiKeyRecord, type ApiKeyStore, createApiKeyStore, generateApiKey, hashApiKey } from "./api-keys.js";
export { type AdapterContributionStats, type Contribution, type ContributionStore, createContributionStore, type LibraryContributionStats } from "./contributions.js";
export { type CoverageEvent, type CoverageEventStore, createCoverageEventStore, type NewCoverageEvent } from "./coverage-events.js";
export { createDataApiAdapterIndex, type DataApiAdapterIndexOptions } from "./data-api-index.js";
export type { RegistryDatabase } from "./database.js";
export type { DrizzleAdapterIndex } from "./drizzle-index.js";
export { createDrizzleAdapterIndex } from "./drizzle-index.js";
export { HNSW_MAX_DIMENSION, HNSW_MIN_ADAPTERS, hnswIndexName } from "./hnsw.js";
export { createJobStore, type JobPatch, type JobRecord, type JobStatus, type JobStore, type NewJob } from "./jobs.js";
export { MIGRATIONS_FOLDER, type MigrationTarget, migrateDatabase } from "./migrate.js";
export { dataApiOutage, databaseUnavailable, type OutageClassifier, pgliteOutage, pgOutage } from "./outage.js";
export { createPgAdapterIndex, ignoreConnectionErrors, PG_TIMEOUT_DEFAULTS, type PgAdapterIndexOptions } from "./pg-index.js";
export { createPgliteAdapterIndex, openPglite, type PgliteAdapterIndexOptions } from "./pglite-index.js";
export { pingDatabase } from "./ping.js";
export { requireLibrary, unknownLibrary } from "./require-library.js";
export { adapters, apiKeys, contributions, jobs, libraries, type Schema, schema } from "./schema.js";

import type { coverage, peft } from "@semla/core";
import { sql } from "drizzle-orm";
import { bigint, check, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, unique, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { ModuleShapes } from "./adapter-index.js";
import { vector } from "./vector.js";

/**
 * The registry's tables. Migrations in /migrations are generated from this file by drizzle-kit
 * (see drizzle.config.ts); the per-library HNSW indexes are not here: they are created at run time
 * when a library reaches HNSW_MIN_ADAPTERS active adapters (see hnsw.ts), one partial index per
 * such library, because dimensions differ.
 */

/** Millisecond precision, so a timestamp survives the trip through a JS Date (list cursors compare them). */
const timestampMs = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const libraries = pgTable(
  "libraries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    baseModelId: text("base_model_id").notNull(),
    embeddingModelId: text("embedding_model_id").notNull(),
    dimension: integer("dimension").notNull(),
    metric: text("metric", { enum: ["euclidean", "cosine"] }).notNull(),
    moduleShapes: jsonb("module_shapes").$type<ModuleShapes>().notNull().default({}),
    /** Bumped by every change to the library's active adapters (activation, deletion): what was computed from them is stale. */
    generation: integer("generation").notNull().default(0),
    /** Out-of-library detection, computed from the active adapters at `generation` (null: not yet). */
    calibration: jsonb("calibration").$type<coverage.LibraryCalibration & { readonly generation: number }>(),
    /** What an out-of-library query gets unless the request says otherwise. */
    coveragePolicy: text("coverage_policy", { enum: ["fuse", "zeroshot", "refuse"] })
      .notNull()
      .default("fuse"),
    createdAt: timestampMs("created_at").notNull().defaultNow(),
  },
  (t) => [
    unique("libraries_tenant_name_unique").on(t.tenant, t.name),
    // pgvector's `vector` type holds at most 16,000 dimensions.
    check("libraries_dimension_check", sql`${t.dimension} BETWEEN 1 AND 16000`),
    check("libraries_metric_check", sql`${t.metric} IN ('euclidean', 'cosine')`),
    check("libraries_coverage_policy_check", sql`${t.coveragePolicy} IN ('fuse', 'zeroshot', 'refuse')`),
  ],
);

export const adapters = pgTable(
  "adapters",
  {
    id: uuid("id").primaryKey(),
    libraryId: uuid("library_id")
      .notNull()
      .references(() => libraries.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    version: integer("version").notNull(),
    status: text("status", { enum: ["pending", "active", "superseded"] }).notNull(),
    rank: integer("rank").notNull(),
    alpha: doublePrecision("alpha").notNull(),
    targetModules: jsonb("target_modules").$type<peft.PeftLoraConfig["target_modules"]>().notNull(),
    moduleShapes: jsonb("module_shapes").$type<ModuleShapes>().notNull(),
    config: jsonb("config").$type<peft.PeftLoraConfig>().notNull(),
    objectKey: text("object_key").notNull().unique("adapters_object_key_unique"),
    byteSize: bigint("byte_size", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    centroid: vector("centroid").notNull(),
    sampleCount: integer("sample_count"),
    /** The 95th percentile of the sample images' distances to the centroid, in the library's metric (null: a centroid without samples). */
    spread: doublePrecision("spread"),
    createdAt: timestampMs("created_at").notNull().defaultNow(),
    updatedAt: timestampMs("updated_at").notNull().defaultNow(),
  },
  (t) => [
    unique("adapters_library_name_version_unique").on(t.libraryId, t.name, t.version),
    // At most one active version per name: retrieval must never see two versions of one adapter.
    uniqueIndex("adapters_one_active_per_name").on(t.libraryId, t.name).where(sql`${t.status} = 'active'`),
    // listAdapters: newest first within a library.
    index("adapters_library_created_idx").on(t.libraryId, t.createdAt, t.id),
    // stalePending: the sweep reads only pending rows.
    index("adapters_pending_updated_idx").on(t.updatedAt).where(sql`${t.status} = 'pending'`),
    check("adapters_status_check", sql`${t.status} IN ('pending', 'active', 'superseded')`),
    check("adapters_version_check", sql`${t.version} >= 1`),
    check("adapters_spread_check", sql`${t.spread} IS NULL OR ${t.spread} >= 0`),
  ],
);

export const apiKeys = pgTable("api_keys", {
  id: uuid("id").primaryKey().defaultRandom(),
  tenant: text("tenant").notNull(),
  name: text("name").notNull(),
  /** sha256 hex of the key: keys are never stored in clear. */
  keyHash: text("key_hash").notNull().unique("api_keys_key_hash_unique"),
  createdAt: timestampMs("created_at").notNull().defaultNow(),
  lastUsedAt: timestampMs("last_used_at"),
  revokedAt: timestampMs("revoked_at"),
});

/**
 * One row per adapter per served request that fused it: how often and how strongly each adapter is
 * used (the data of SemLA's contribution heatmap). Rows go with their adapter or library.
 */
export const contributions = pgTable(
  "contributions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    libraryId: uuid("library_id")
      .notNull()
      .references(() => libraries.id, { onDelete: "cascade" }),
    adapterId: uuid("adapter_id")
      .notNull()
      .references(() => adapters.id, { onDelete: "cascade" }),
    requestId: text("request_id").notNull(),
    /** 1-based position in the plan, nearest first. */
    rank: integer("rank").notNull(),
    weight: doublePrecision("weight").notNull(),
    distance: doublePrecision("distance"),
    createdAt: timestampMs("created_at").notNull().defaultNow(),
  },
  (t) => [
    // Stats read one library over a time window.
    index("contributions_library_created_idx").on(t.libraryId, t.createdAt),
    index("contributions_adapter_idx").on(t.adapterId),
    check("contributions_weight_check", sql`${t.weight} BETWEEN 0 AND 1`),
  ],
);

/**
 * One row per out-of-library query (route or segment): its embedding and the adapters nearest it —
 * no image is kept. Clustered into coverage gaps ("train an adapter for this"); the newest
 * LIMITS.coverageEvents per library are kept.
 */
export const coverageEvents = pgTable(
  "coverage_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    libraryId: uuid("library_id")
      .notNull()
      .references(() => libraries.id, { onDelete: "cascade" }),
    requestId: text("request_id").notNull(),
    embedding: vector("embedding").notNull(),
    /** The plan's adapters, nearest first: [{ adapterId, distance }]. */
    nearest: jsonb("nearest").$type<{ adapterId: string; distance: number }[]>().notNull(),
    score: doublePrecision("score").notNull(),
    createdAt: timestampMs("created_at").notNull().defaultNow(),
  },
  (t) => [index("coverage_events_library_created_idx").on(t.libraryId, t.createdAt)],
);

/**
 * Asynchronous segmentation jobs (POST /v1/jobs): the request, each image's state and result
 * summary, and the webhook to call. Tenant-scoped; idempotent on (tenant, idempotency_key).
 * The masks and the SageMaker input/output objects are in the bucket under jobs/<id>/.
 */
export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey(),
    tenant: text("tenant").notNull(),
    idempotencyKey: text("idempotency_key"),
    /** sha256 of the request as parsed: the same key with another request is refused. */
    requestSha256: text("request_sha256").notNull(),
    status: text("status", { enum: ["queued", "running", "succeeded", "failed", "expired"] }).notNull(),
    /** What each image needs to run (library, class names, options, where its bytes are). */
    request: jsonb("request").$type<Record<string, unknown>>().notNull(),
    /** One entry per image, in order: its state, the backend's invocation, its result summary or error. */
    items: jsonb("items").$type<Record<string, unknown>[]>().notNull(),
    webhookUrl: text("webhook_url"),
    /** The webhook's last delivery: null until the job ends. */
    webhook: jsonb("webhook").$type<Record<string, unknown>>(),
    createdAt: timestampMs("created_at").notNull().defaultNow(),
    updatedAt: timestampMs("updated_at").notNull().defaultNow(),
    startedAt: timestampMs("started_at"),
    finishedAt: timestampMs("finished_at"),
    expiresAt: timestampMs("expires_at").notNull(),
    /** A runner holds the job until then (one runner advances a job at a time, across processes). */
    leasedUntil: timestampMs("leased_until"),
  },
  (t) => [
    uniqueIndex("jobs_tenant_idempotency_key_unique").on(t.tenant, t.idempotencyKey).where(sql`${t.idempotencyKey} IS NOT NULL`),
    // The runner reads the jobs still to advance, and those past their expiry.
    index("jobs_active_idx").on(t.updatedAt).where(sql`${t.status} IN ('queued', 'running')`),
    index("jobs_expires_idx").on(t.expiresAt).where(sql`${t.status} <> 'expired'`),
    check("jobs_status_check", sql`${t.status} IN ('queued', 'running', 'succeeded', 'failed', 'expired')`),
  ],
);

export const schema = { libraries, adapters, apiKeys, contributions, coverageEvents, jobs };
export type Schema = typeof schema;

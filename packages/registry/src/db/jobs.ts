import { and, asc, eq, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { RegistryDatabase } from "./database.js";
import { isUuid } from "./ids.js";
import { guardOutages, outageClassifierOf } from "./outage.js";
import { jobs } from "./schema.js";
import { storableJson, storableText } from "./text.js";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "expired";

/** A job as stored; `request`, `items` and `webhook` are the API's to shape (this package keeps them as JSON). */
export interface JobRecord {
  readonly id: string;
  readonly tenant: string;
  readonly idempotencyKey: string | null;
  readonly requestSha256: string;
  readonly status: JobStatus;
  readonly request: Record<string, unknown>;
  readonly items: readonly Record<string, unknown>[];
  readonly webhookUrl: string | null;
  readonly webhook: Record<string, unknown> | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly expiresAt: Date;
  readonly leasedUntil: Date | null;
}

export interface NewJob {
  readonly id: string;
  readonly tenant: string;
  readonly idempotencyKey: string | null;
  readonly requestSha256: string;
  readonly request: Record<string, unknown>;
  readonly items: readonly Record<string, unknown>[];
  readonly webhookUrl: string | null;
  /** The submission's time, by the caller's clock (expiresAt is counted from it). */
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** What a runner changes on a job it holds. */
export interface JobPatch {
  readonly status?: JobStatus;
  readonly items?: readonly Record<string, unknown>[];
  readonly webhook?: Record<string, unknown>;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
}

export interface JobStore {
  /**
   * Inserts the job, or, when the tenant already has a job under the same idempotency key, returns
   * that one (`created: false`): the caller compares its requestSha256.
   */
  create(job: NewJob): Promise<{ job: JobRecord; created: boolean }>;
  /** The tenant's job; undefined for another tenant's (as for a missing one). */
  get(tenant: string, id: string): Promise<JobRecord | undefined>;
  /** The tenant's job under this idempotency key. */
  findByKey(tenant: string, idempotencyKey: string): Promise<JobRecord | undefined>;
  /** Holds the job for `ms` (no other runner gets it meanwhile); undefined when another runner holds it or it is gone. */
  lease(id: string, ms: number): Promise<JobRecord | undefined>;
  /** Writes what the holder changed so far, keeping hold of the job for `leaseMs` more (progress a crash must not lose). */
  save(id: string, patch: JobPatch, leaseMs: number): Promise<JobRecord>;
  /** Writes what the holder changed and lets the job go. */
  release(id: string, patch: JobPatch): Promise<JobRecord>;
  /** Ids of jobs still to advance (queued or running), least recently advanced first. */
  active(limit: number): Promise<string[]>;
  /** Ids of jobs past their expiry that are not marked expired yet. */
  expiredBefore(now: Date, limit: number): Promise<string[]>;
}

export function createJobStore(db: RegistryDatabase): JobStore {
  /** release: the lease ends; a number: it is held that many ms more. */
  async function write(id: string, patch: JobPatch, lease: "release" | number): Promise<JobRecord> {
    if (patch.items) storableJson("items", patch.items);
    const [row] = await db
      .update(jobs)
      .set({
        ...(patch.status ? { status: patch.status } : {}),
        ...(patch.items ? { items: [...patch.items] } : {}),
        ...(patch.webhook ? { webhook: patch.webhook } : {}),
        ...(patch.startedAt ? { startedAt: patch.startedAt } : {}),
        ...(patch.finishedAt ? { finishedAt: patch.finishedAt } : {}),
        updatedAt: sql`now()`,
        leasedUntil: lease === "release" ? null : sql`now() + ${`${Math.ceil(lease)} milliseconds`}::interval`,
      })
      .where(eq(jobs.id, id))
      .returning();
    if (!row) throw new Error(`job ${id} is gone`);
    return row;
  }

  const store: JobStore = {
    async create(job) {
      storableText("tenant", job.tenant);
      if (job.idempotencyKey !== null) storableText("idempotencyKey", job.idempotencyKey);
      storableJson("request", job.request);
      const inserted = await db
        .insert(jobs)
        .values({ ...job, items: [...job.items], status: "queued" })
        .onConflictDoNothing()
        .returning();
      if (inserted[0]) return { job: inserted[0], created: true };
      const [existing] = await db
        .select()
        .from(jobs)
        .where(and(eq(jobs.tenant, job.tenant), job.idempotencyKey === null ? isNull(jobs.idempotencyKey) : eq(jobs.idempotencyKey, job.idempotencyKey)));
      if (!existing) throw new Error(`job ${job.id} was neither inserted nor found`);
      return { job: existing, created: false };
    },
    async get(tenant, id) {
      if (!isUuid(id)) return undefined;
      const [row] = await db
        .select()
        .from(jobs)
        .where(and(eq(jobs.id, id), eq(jobs.tenant, tenant)));
      return row;
    },
    async findByKey(tenant, idempotencyKey) {
      const [row] = await db
        .select()
        .from(jobs)
        .where(and(eq(jobs.tenant, storableText("tenant", tenant)), eq(jobs.idempotencyKey, storableText("idempotencyKey", idempotencyKey))));
      return row;
    },
    async lease(id, ms) {
      const [row] = await db
        .update(jobs)
        .set({ leasedUntil: sql`now() + ${`${Math.ceil(ms)} milliseconds`}::interval` })
        .where(and(eq(jobs.id, id), or(isNull(jobs.leasedUntil), lt(jobs.leasedUntil, sql`now()`))))
        .returning();
      return row;
    },
    save: (id, patch, leaseMs) => write(id, patch, leaseMs),
    release: (id, patch) => write(id, patch, "release"),
    async active(limit) {
      const rows = await db
        .select({ id: jobs.id })
        .from(jobs)
        .where(inArray(jobs.status, ["queued", "running"]))
        .orderBy(asc(jobs.updatedAt))
        .limit(limit);
      return rows.map((row) => row.id);
    },
    async expiredBefore(now, limit) {
      const rows = await db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(ne(jobs.status, "expired"), lt(jobs.expiresAt, now)))
        .limit(limit);
      return rows.map((row) => row.id);
    },
  };
  return guardOutages(store, outageClassifierOf(db));
}

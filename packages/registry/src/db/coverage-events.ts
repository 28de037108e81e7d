import { LIMITS } from "@semla/core";
import { and, desc, eq, gte, sql } from "drizzle-orm";
import type { RegistryDatabase } from "./database.js";
import { guardOutages, outageClassifierOf } from "./outage.js";
import { tenantHasLibrary } from "./require-library.js";
import { coverageEvents } from "./schema.js";
import { storableText } from "./text.js";

/** An out-of-library query as kept: its embedding, its plan's adapters nearest first, its coverage score. */
export interface NewCoverageEvent {
  readonly libraryId: string;
  readonly requestId: string;
  readonly embedding: Float32Array;
  readonly nearest: readonly { readonly adapterId: string; readonly distance: number }[];
  readonly score: number;
}

export interface CoverageEvent extends NewCoverageEvent {
  readonly createdAt: Date;
}

export interface CoverageEventStore {
  /** Keeps the event, and only the newest LIMITS.coverageEvents of its library. */
  record(event: NewCoverageEvent): Promise<void>;
  /** The tenant's library's events, newest first (at most `limit`); undefined when the library is not the tenant's. */
  list(tenant: string, libraryId: string, options: { readonly since?: Date; readonly limit: number }): Promise<CoverageEvent[] | undefined>;
}

export function createCoverageEventStore(db: RegistryDatabase): CoverageEventStore {
  const store: CoverageEventStore = {
    async record(event) {
      storableText("requestId", event.requestId);
      await db.transaction(async (tx) => {
        await tx.insert(coverageEvents).values({ ...event, nearest: event.nearest.map((n) => ({ adapterId: n.adapterId, distance: n.distance })) });
        // Bounded per library: the oldest beyond the limit go (an index range scan on (library, created_at)).
        await tx.execute(sql`
          DELETE FROM ${coverageEvents} WHERE ${coverageEvents.id} IN (
            SELECT ${coverageEvents.id} FROM ${coverageEvents} WHERE ${coverageEvents.libraryId} = ${event.libraryId}
            ORDER BY ${coverageEvents.createdAt} DESC, ${coverageEvents.id} DESC OFFSET ${LIMITS.coverageEvents})`);
      });
    },
    async list(tenant, libraryId, options) {
      if (!(await tenantHasLibrary(db, tenant, libraryId))) return undefined;
      return db
        .select({
          libraryId: coverageEvents.libraryId,
          requestId: coverageEvents.requestId,
          embedding: coverageEvents.embedding,
          nearest: coverageEvents.nearest,
          score: coverageEvents.score,
          createdAt: coverageEvents.createdAt,
        })
        .from(coverageEvents)
        .where(and(eq(coverageEvents.libraryId, libraryId), options.since ? gte(coverageEvents.createdAt, options.since) : undefined))
        .orderBy(desc(coverageEvents.createdAt), desc(coverageEvents.id))
        .limit(options.limit);
    },
  };
  return guardOutages(store, outageClassifierOf(db));
}

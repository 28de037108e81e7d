import { and, eq, gte, sql } from "drizzle-orm";
import type { RegistryDatabase } from "./database.js";
import { guardOutages, outageClassifierOf } from "./outage.js";
import { tenantHasLibrary } from "./require-library.js";
import { adapters, contributions } from "./schema.js";
import { storableText } from "./text.js";

/** One adapter's part in one served request, as the fusion plan gave it. */
export interface Contribution {
  readonly adapterId: string;
  readonly rank: number;
  readonly weight: number;
  readonly distance: number | null;
}

export interface AdapterContributionStats {
  readonly adapterId: string;
  readonly name: string;
  readonly version: number;
  /** Requests whose plan included the adapter. */
  readonly uses: number;
  /** Σ weight over those requests, and its mean and maximum. */
  readonly totalWeight: number;
  readonly meanWeight: number;
  readonly maxWeight: number;
  /** Requests where it was the nearest adapter. */
  readonly topRank: number;
  readonly lastUsedAt: Date;
}

export interface LibraryContributionStats {
  readonly libraryId: string;
  /** Distinct requests recorded for the library. */
  readonly requests: number;
  /** Most used first (Σ weight), ties by id. */
  readonly adapters: readonly AdapterContributionStats[];
}

export interface ContributionStore {
  record(libraryId: string, requestId: string, items: readonly Contribution[]): Promise<void>;
  /** Per adapter of the tenant's library; undefined when the library is not the tenant's. */
  stats(tenant: string, libraryId: string, options?: { since?: Date }): Promise<LibraryContributionStats | undefined>;
}

export function createContributionStore(db: RegistryDatabase): ContributionStore {
  const store: ContributionStore = {
    async record(libraryId, requestId, items) {
      if (items.length === 0) return;
      storableText("requestId", requestId);
      await db.insert(contributions).values(items.map((item) => ({ libraryId, requestId, adapterId: item.adapterId, rank: item.rank, weight: item.weight, distance: item.distance })));
    },
    async stats(tenant, libraryId, options = {}) {
      if (!(await tenantHasLibrary(db, tenant, libraryId))) return undefined;
      const where = and(eq(contributions.libraryId, libraryId), options.since ? gte(contributions.createdAt, options.since) : undefined);
      const rows = await db
        .select({
          adapterId: contributions.adapterId,
          name: adapters.name,
          version: adapters.version,
          uses: sql<number>`count(*)::int`,
          totalWeight: sql<number>`sum(${contributions.weight})::float8`,
          maxWeight: sql<number>`max(${contributions.weight})::float8`,
          topRank: sql<number>`count(*) FILTER (WHERE ${contributions.rank} = 1)::int`,
          lastUsedAt: sql<string>`max(${contributions.createdAt})`,
        })
        .from(contributions)
        .innerJoin(adapters, eq(adapters.id, contributions.adapterId))
        .where(where)
        .groupBy(contributions.adapterId, adapters.name, adapters.version);
      const [count] = await db
        .select({ requests: sql<number>`count(DISTINCT ${contributions.requestId})::int` })
        .from(contributions)
        .where(where);
      const items = rows
        .map((row) => ({
          adapterId: row.adapterId,
          name: row.name,
          version: row.version,
          uses: Number(row.uses),
          totalWeight: Number(row.totalWeight),
          meanWeight: Number(row.totalWeight) / Number(row.uses),
          maxWeight: Number(row.maxWeight),
          topRank: Number(row.topRank),
          lastUsedAt: new Date(row.lastUsedAt),
        }))
        .sort((a, b) => b.totalWeight - a.totalWeight || (a.adapterId < b.adapterId ? -1 : 1));
      return { libraryId, requests: Number(count?.requests ?? 0), adapters: items };
    },
  };
  return guardOutages(store, outageClassifierOf(db));
}

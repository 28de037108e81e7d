import { routing } from "@semla/core";
import { and, asc, inArray, not, or, type SQL, sql } from "drizzle-orm";
import type { NearestAdapter, NearestQuery } from "./adapter-index.js";
import { type RegistryDatabase, resultRows } from "./database.js";
import { activeInLibrary, distanceTo, type IndexedLibrary, searchSettings } from "./hnsw.js";
import { isUuid } from "./ids.js";
import { adapters } from "./schema.js";

/**
 * k-nearest retrieval over a library's active adapters. The main query orders by the distance
 * alone: that is what the HNSW index serves (PostgreSQL 15 cannot add `, id` on top of an
 * ordered index scan; 17+ would with an incremental sort). Ties are then settled by id here.
 */

export function assertK(k: number): void {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new routing.RoutingError("routing.invalid-options", `k must be an integer >= 1, got ${String(k)}`, {
      k: String(k),
    });
  }
}

/** Leave-one-out: an entry drops the adapter with that id, and every version of that name. */
function notExcluded(exclude: readonly string[]): SQL | undefined {
  if (exclude.length === 0) return undefined;
  const ids = exclude.filter(isUuid).map((id) => id.toLowerCase());
  const byName = inArray(adapters.name, [...exclude]);
  return not(ids.length > 0 ? (or(inArray(adapters.id, ids), byName) as SQL) : byName);
}

function nearestSelect(db: RegistryDatabase, library: IndexedLibrary, query: Float32Array, options: NearestQuery) {
  const distance = distanceTo(library, query);
  return {
    distance,
    select: db
      .select({
        id: adapters.id,
        name: adapters.name,
        version: adapters.version,
        distance: sql<number>`${distance}`.mapWith(Number),
      })
      .from(adapters),
    where: and(activeInLibrary(library), notExcluded(options.exclude ?? [])),
  };
}

function byDistanceThenId(a: NearestAdapter, b: NearestAdapter): number {
  return routing.compareNeighbors(a, b);
}

/** Runs in `tx`, a transaction, because the search settings are SET LOCAL. */
export async function nearestInTransaction(
  tx: RegistryDatabase,
  library: IndexedLibrary,
  query: Float32Array,
  options: NearestQuery,
): Promise<NearestAdapter[]> {
  const { k } = options;
  for (const setting of searchSettings(k, options.exact === true)) await tx.execute(setting);
  const { distance, select, where } = nearestSelect(tx, library, query, options);
  // One row past k shows whether the k-th distance is tied with rows beyond the limit.
  const rows = (await select.where(where).orderBy(distance).limit(k + 1)).sort(byDistanceThenId);
  const last = rows[k - 1];
  const next = rows[k];
  if (!last || !next) return rows.slice(0, k);
  if (next.distance !== last.distance) return rows.slice(0, k);
  const tied = await nearestSelect(tx, library, query, options)
    .select.where(and(where, sql`${distance} = ${last.distance}`))
    .orderBy(asc(adapters.id))
    .limit(k);
  return [...rows.filter((r) => r.distance < last.distance), ...tied].slice(0, k);
}

/** The plan of the main nearest query under the same settings, for tests that check index use. */
export async function explainNearestInTransaction(
  tx: RegistryDatabase,
  library: IndexedLibrary,
  query: Float32Array,
  options: NearestQuery,
): Promise<string> {
  for (const setting of searchSettings(options.k, options.exact === true)) await tx.execute(setting);
  const { distance, select, where } = nearestSelect(tx, library, query, options);
  const plan = await tx.execute(sql`EXPLAIN ${select.where(where).orderBy(distance).limit(options.k + 1)}`);
  return resultRows(plan)
    .map((row) => String(row["QUERY PLAN"]))
    .join("\n");
}

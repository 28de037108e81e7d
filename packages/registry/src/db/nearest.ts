import { LIMITS, routing } from "@semla/core";
import { type SQL, sql } from "drizzle-orm";
import type { NearestAdapter, NearestQuery } from "./adapter-index.js";
import { type RegistryDatabase, resultRows } from "./database.js";
import type { IndexedLibrary } from "./hnsw.js";
import { isUuid } from "./ids.js";
import { parseVectorBinary, toVectorLiteral } from "./vector.js";

/**
 * k-nearest retrieval over a library's active adapters, one statement each: `semla_nearest`
 * (migrations/0003) sets the search settings for that statement only and runs the query the
 * library's partial HNSW index serves, when it has one (hnsw.ts), or an exact scan. The index orders
 * by distance alone (PostgreSQL 15 cannot add `, id` to an ordered index scan), so ties at the k-th
 * place are settled by id here. pgvector computes distances in float32; the distances of the rows
 * found are computed again here in float64 from the stored centroids (core routing's distance, as
 * numpy computes it from the same float32 values), and those order the answer.
 */

/** pgvector's default ef_search is 40 (see `defaultEfSearch`), its maximum LIMITS.efSearch. */
const EF_SEARCH_MAX = LIMITS.efSearch;

/**
 * pgvector's 40, or 2k for large k. With the graph built at ef_construction 128 (hnsw.ts), 100k
 * clustered 768-d centroids gave recall@5 0.990 at 40 and 1.000 at 64 for 0.6 ms more (npm run bench).
 */
export function defaultEfSearch(k: number): number {
  return Math.min(EF_SEARCH_MAX, Math.max(40, 2 * k));
}

export function assertK(k: number): void {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new routing.RoutingError("routing.invalid-options", `k must be an integer >= 1, got ${String(k)}`, {
      k: String(k),
    });
  }
}

function efSearch(options: NearestQuery): number {
  const ef = options.efSearch ?? defaultEfSearch(options.k);
  if (!Number.isSafeInteger(ef) || ef < 1 || ef > EF_SEARCH_MAX) {
    throw new routing.RoutingError("routing.invalid-options", `efSearch must be an integer from 1 to ${EF_SEARCH_MAX}, got ${String(ef)}`, { efSearch: String(ef) });
  }
  return ef;
}

/** Leave-one-out: an entry drops the adapter with that id, and every version of that name. */
function excluded(exclude: readonly string[]): SQL {
  const values = exclude.map((e) => (isUuid(e) ? e.toLowerCase() : e));
  return values.length === 0
    ? sql`ARRAY[]::text[]`
    : sql`ARRAY[${sql.join(
        values.map((v) => sql`${v}`),
        sql`, `,
      )}]::text[]`;
}

function arguments_(library: IndexedLibrary, query: Float32Array, limit: number, options: NearestQuery): SQL {
  return sql`${library.id}::uuid, ${library.dimension}::integer, ${library.metric}::text, ${toVectorLiteral(query)}::text, ${limit}::integer, ${excluded(options.exclude ?? [])}, ${options.exact === true}::boolean, ${efSearch(options)}::integer`;
}

export async function nearestAdapters(db: RegistryDatabase, library: IndexedLibrary, query: Float32Array, options: NearestQuery): Promise<NearestAdapter[]> {
  const { k } = options;
  // One row past k shows whether the k-th distance is tied with rows beyond it; widen until not.
  for (let limit = k + 1; ; limit *= 2) {
    const rows = resultRows(await db.execute(sql`SELECT id, name, version, distance, centroid FROM semla_nearest(${arguments_(library, query, limit, options)})`));
    const kth = rows[k - 1];
    const last = rows[rows.length - 1];
    if (rows.length < limit || !kth || !last || Number(last.distance) !== Number(kth.distance)) {
      return rows
        .map(
          (row): NearestAdapter => ({
            id: String(row.id),
            name: String(row.name),
            version: Number(row.version),
            distance: routing.distance(library.metric, query, parseVectorBinary(row.centroid as Uint8Array | string)),
          }),
        )
        .sort(routing.compareNeighbors)
        .slice(0, k);
    }
  }
}

/** The plan of the query `nearestAdapters` runs, under the same settings (tests check HNSW use). */
export async function explainNearest(db: RegistryDatabase, library: IndexedLibrary, query: Float32Array, options: NearestQuery): Promise<string> {
  const plan = await db.execute(sql`SELECT semla_explain_nearest AS line FROM semla_explain_nearest(${arguments_(library, query, options.k + 1, options)})`);
  return resultRows(plan)
    .map((row) => String(row.line))
    .join("\n");
}

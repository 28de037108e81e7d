import { type SQL, sql } from "drizzle-orm";
import type { Metric } from "./adapter-index.js";
import { isUuid } from "./ids.js";
import { adapters } from "./schema.js";
import { toVectorLiteral } from "./vector.js";

/**
 * One HNSW index per library. `centroid` has no fixed dimension (libraries use different
 * embedding models) and HNSW needs one, so each library gets a partial expression index on
 * `centroid::vector(D)` over its active rows. Queries must repeat exactly that expression and
 * predicate, or the planner cannot use the index: both are built here, once.
 */

/** pgvector's HNSW indexes `vector` up to 2,000 dimensions; larger libraries are scanned exactly. */
export const HNSW_MAX_DIMENSION = 2000;

/** hnsw.ef_search may not exceed 1,000. */
const EF_SEARCH_MAX = 1000;

export interface IndexedLibrary {
  readonly id: string;
  readonly dimension: number;
  readonly metric: Metric;
}

/** Inlined as literals (index predicates are matched against constants); checked so nothing else gets in. */
function literals(library: IndexedLibrary): { id: string; dimension: number } {
  if (!isUuid(library.id)) throw new Error(`invalid library id ${JSON.stringify(library.id)}`);
  if (!Number.isSafeInteger(library.dimension) || library.dimension < 1) {
    throw new Error(`invalid dimension ${library.dimension}`);
  }
  return { id: library.id.toLowerCase(), dimension: library.dimension };
}

export function hnswIndexName(libraryId: string): string {
  return `adapters_hnsw_${libraryId.toLowerCase().replaceAll("-", "")}`;
}

/** `library_id = '<id>' AND status = 'active'`: the index predicate, and the filter of every nearest query. */
export function activeInLibrary(library: IndexedLibrary): SQL {
  const { id } = literals(library);
  return sql`${adapters.libraryId} = ${sql.raw(`'${id}'`)} AND ${adapters.status} = 'active'`;
}

/** The DDL run with the library's insert, or undefined when the dimension is beyond HNSW. */
export function createHnswIndex(library: IndexedLibrary): SQL | undefined {
  const { id, dimension } = literals(library);
  if (dimension > HNSW_MAX_DIMENSION) return undefined;
  const ops = library.metric === "cosine" ? "vector_cosine_ops" : "vector_l2_ops";
  return sql.raw(
    `CREATE INDEX "${hnswIndexName(id)}" ON "adapters" USING hnsw ((centroid::vector(${dimension})) ${ops}) ` +
      `WHERE library_id = '${id}' AND status = 'active'`,
  );
}

/** Euclidean distance (`<->`) or cosine distance 1 − cos (`<=>`): what core routing expects. */
export function distanceTo(library: IndexedLibrary, query: Float32Array): SQL<number> {
  const { dimension } = literals(library);
  const operator = library.metric === "cosine" ? "<=>" : "<->";
  const cast = sql.raw(`::vector(${dimension})`);
  return sql<number>`(${adapters.centroid}${cast} ${sql.raw(operator)} ${toVectorLiteral(query)}${cast})`;
}

/**
 * Search settings, local to the transaction. ef_search: pgvector's default is 40; 64 (or 2k) costs
 * little on libraries of thousands and made top-5 misses on tight clusters (50 near-equidistant
 * centroids) vanish in our measurements (~1 in 5,000 queries at 40). Iterative scans (pgvector
 * 0.8) keep going past ef_search when filters (exclusions) drop rows, in strict distance order,
 * so a filtered query still returns k rows. Exact: with index scans off the planner must sort.
 */
export function searchSettings(k: number, exact: boolean): SQL[] {
  if (exact) return [sql`SELECT set_config('enable_indexscan', 'off', true)`];
  const ef = Math.min(EF_SEARCH_MAX, Math.max(64, 2 * k));
  // One statement: each round trip is a sizeable share of a 1-2 ms query.
  return [sql`SELECT set_config('hnsw.ef_search', ${String(ef)}, true), set_config('hnsw.iterative_scan', 'strict_order', true)`];
}

import { type SQL, sql } from "drizzle-orm";
import type { Metric } from "./adapter-index.js";
import { isUuid } from "./ids.js";

/**
 * One HNSW index per library. `centroid` has no fixed dimension (libraries use different
 * embedding models) and HNSW needs one, so each library gets a partial expression index on
 * `centroid::vector(D)` over its active rows. The search (semla_nearest_sql, migrations/0003) repeats
 * exactly that expression and predicate, so the planner can use the index.
 */

/** pgvector's HNSW indexes `vector` up to 2,000 dimensions; larger libraries are scanned exactly. */
export const HNSW_MAX_DIMENSION = 2000;

/**
 * Graph quality: pgvector's defaults are m = 16, ef_construction = 64. A better-built graph reaches the
 * same recall with a smaller ef_search, i.e. faster queries; libraries are built once and grow slowly.
 * Measured on 100k clustered 768-d centroids (npm run bench), recall@5 at ef_search 40: 0.911 with
 * ef_construction 64, 0.990 with 128 (build 27 s → 50 s), 1.000 with 200 (84 s).
 */
export const HNSW_M = 16;
export const HNSW_EF_CONSTRUCTION = 128;

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

/** The DDL run with the library's insert, or undefined when the dimension is beyond HNSW. */
export function createHnswIndex(library: IndexedLibrary): SQL | undefined {
  const { id, dimension } = literals(library);
  if (dimension > HNSW_MAX_DIMENSION) return undefined;
  const ops = library.metric === "cosine" ? "vector_cosine_ops" : "vector_l2_ops";
  return sql.raw(
    `CREATE INDEX "${hnswIndexName(id)}" ON "adapters" USING hnsw ((centroid::vector(${dimension})) ${ops}) WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION}) ` +
      `WHERE library_id = '${id}' AND status = 'active'`,
  );
}

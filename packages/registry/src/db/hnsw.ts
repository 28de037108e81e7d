import { type SQL, sql } from "drizzle-orm";
import type { Metric } from "./adapter-index.js";
import { type RegistryDatabase, resultRows } from "./database.js";
import { isUuid } from "./ids.js";

/**
 * An HNSW index only for the libraries large enough to gain from one. `centroid` has no fixed
 * dimension (libraries use different embedding models) and HNSW needs one, so such a library gets a
 * partial expression index on `centroid::vector(D)` over its active rows; the search
 * (semla_nearest_sql, migrations/0003) repeats exactly that expression and predicate, so the planner
 * can use it. Every other library is scanned exactly through the b-tree on (library_id, name) of its
 * active rows (adapters_one_active_per_name), which is both faster and exact at that size.
 *
 * One partial index per library did not scale with tenants: the planner opens every index of the
 * table and tests every partial predicate on each query, and every insert does the same (measured,
 * npm run bench: docs/benchmarks/registry.json).
 */

/** pgvector's HNSW indexes `vector` up to 2,000 dimensions; larger libraries are scanned exactly. */
export const HNSW_MAX_DIMENSION = 2000;

/**
 * A library gets its HNSW index when it reaches this many active adapters, and loses it below half
 * as many (so one upload and one delete at the edge do not rebuild it each time). The one place the
 * choice between the exact scan and HNSW is made. Measured on 768-d clustered centroids (npm run
 * bench, docs/benchmarks/registry.json), k = 5, p50: at 1,000 the two tie (1.49 ms exact, 1.48 ms
 * HNSW), at 2,000 HNSW is twice as fast (1.04 vs 2.16 ms), below 1,000 the exact scan wins and is
 * exact.
 */
export const HNSW_MIN_ADAPTERS = 1000;

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

/** The DDL of the library's index, or undefined when the dimension is beyond HNSW. */
export function createHnswIndex(library: IndexedLibrary): SQL | undefined {
  const { id, dimension } = literals(library);
  if (dimension > HNSW_MAX_DIMENSION) return undefined;
  const ops = library.metric === "cosine" ? "vector_cosine_ops" : "vector_l2_ops";
  return sql.raw(
    `CREATE INDEX IF NOT EXISTS "${hnswIndexName(id)}" ON "adapters" USING hnsw ((centroid::vector(${dimension})) ${ops}) WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION}) ` +
      `WHERE library_id = '${id}' AND status = 'active'`,
  );
}

export function dropHnswIndex(library: IndexedLibrary): SQL {
  return sql.raw(`DROP INDEX IF EXISTS "${hnswIndexName(literals(library).id)}"`);
}

/** What a library of `active` adapters, with or without its index now, should have done to it. */
export function hnswChange(library: IndexedLibrary, active: number, indexed: boolean): "create" | "drop" | undefined {
  if (library.dimension > HNSW_MAX_DIMENSION) return undefined;
  if (!indexed && active >= HNSW_MIN_ADAPTERS) return "create";
  if (indexed && active < HNSW_MIN_ADAPTERS / 2) return "drop";
  return undefined;
}

/**
 * Creates or drops the library's index as its active adapters cross the threshold; run inside the
 * transaction that changed them (holding the library's lock), so searches never see a half state.
 * Returns what it did.
 */
export async function syncHnswIndex(tx: RegistryDatabase, library: IndexedLibrary): Promise<"create" | "drop" | undefined> {
  const { id } = literals(library);
  const [row] = resultRows(
    await tx.execute(sql`SELECT (SELECT count(*) FROM adapters WHERE library_id = ${id}::uuid AND status = 'active')::integer AS active, to_regclass(${hnswIndexName(id)}) IS NOT NULL AS indexed`),
  );
  const change = hnswChange(library, Number(row?.active ?? 0), row?.indexed === true || row?.indexed === "t");
  if (change === "create") await tx.execute(createHnswIndex(library) as SQL);
  if (change === "drop") await tx.execute(dropHnswIndex(library));
  return change;
}

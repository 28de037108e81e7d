import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { createHnswIndex, dropHnswIndex, HNSW_MIN_ADAPTERS, hnswChange, hnswIndexName } from "./hnsw.js";

const dialect = new PgDialect();
/** The SQL text and parameters drizzle sends (its internal parameter typings left out). */
const render = (query: SQL | undefined) => {
  if (!query) return undefined;
  const { sql, params } = dialect.sqlToQuery(query);
  return { sql, params };
};
const id = "0B6F7A40-5C1E-4C8E-9A65-2F1D3C4B5A69";

describe("per-library HNSW index", () => {
  it("is named after the library id without dashes", () => {
    expect(hnswIndexName(id)).toBe("adapters_hnsw_0b6f7a405c1e4c8e9a652f1d3c4b5a69");
  });

  it("indexes centroid::vector(D) of the library's active rows, with the metric's operator class and a graph built at ef_construction 128", () => {
    expect(render(createHnswIndex({ id, dimension: 512, metric: "euclidean" }))?.sql).toBe(
      'CREATE INDEX IF NOT EXISTS "adapters_hnsw_0b6f7a405c1e4c8e9a652f1d3c4b5a69" ON "adapters" USING hnsw ' +
        "((centroid::vector(512)) vector_l2_ops) WITH (m = 16, ef_construction = 128) " +
        "WHERE library_id = '0b6f7a40-5c1e-4c8e-9a65-2f1d3c4b5a69' AND status = 'active'",
    );
    expect(render(createHnswIndex({ id, dimension: 768, metric: "cosine" }))?.sql).toContain("((centroid::vector(768)) vector_cosine_ops)");
  });

  it("is left out beyond HNSW's 2,000 dimensions (such libraries are scanned exactly)", () => {
    expect(createHnswIndex({ id, dimension: 2000, metric: "cosine" })).toBeDefined();
    expect(createHnswIndex({ id, dimension: 2001, metric: "cosine" })).toBeUndefined();
  });

  it("is dropped by name, if it exists", () => {
    expect(render(dropHnswIndex({ id, dimension: 512, metric: "euclidean" }))?.sql).toBe('DROP INDEX IF EXISTS "adapters_hnsw_0b6f7a405c1e4c8e9a652f1d3c4b5a69"');
  });

  it("refuses anything but a uuid where literals are inlined", () => {
    expect(() => createHnswIndex({ id: "x'; DROP TABLE adapters; --", dimension: 3, metric: "cosine" })).toThrow("invalid library id");
    expect(() => dropHnswIndex({ id: "x'; DROP TABLE adapters; --", dimension: 3, metric: "cosine" })).toThrow("invalid library id");
  });
});

describe("which libraries have an HNSW index", () => {
  const library = { id, dimension: 768, metric: "euclidean" } as const;

  it("is measured once: 1,000 active adapters (where the exact scan and HNSW tie at 768-d)", () => {
    expect(HNSW_MIN_ADAPTERS).toBe(1000);
  });

  it("creates the index when a library reaches 1,000 active adapters, not before", () => {
    expect(hnswChange(library, 999, false)).toBeUndefined();
    expect(hnswChange(library, 1000, false)).toBe("create");
    expect(hnswChange(library, 5000, false)).toBe("create");
  });

  it("keeps it down to 500 and drops it below, so uploads and deletes at the edge do not rebuild it", () => {
    expect(hnswChange(library, 1000, true)).toBeUndefined();
    expect(hnswChange(library, 500, true)).toBeUndefined();
    expect(hnswChange(library, 499, true)).toBe("drop");
    expect(hnswChange(library, 0, true)).toBe("drop");
  });

  it("never indexes a library beyond 2,000 dimensions", () => {
    expect(hnswChange({ ...library, dimension: 2001 }, 100_000, false)).toBeUndefined();
  });
});

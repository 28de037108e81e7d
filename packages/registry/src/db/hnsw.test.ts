import { PgDialect } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { activeInLibrary, createHnswIndex, distanceTo, hnswIndexName, searchSettings } from "./hnsw.js";

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

  it("indexes centroid::vector(D) of the library's active rows, with the metric's operator class", () => {
    expect(render(createHnswIndex({ id, dimension: 512, metric: "euclidean" }))?.sql).toBe(
      'CREATE INDEX "adapters_hnsw_0b6f7a405c1e4c8e9a652f1d3c4b5a69" ON "adapters" USING hnsw ' +
        "((centroid::vector(512)) vector_l2_ops) " +
        "WHERE library_id = '0b6f7a40-5c1e-4c8e-9a65-2f1d3c4b5a69' AND status = 'active'",
    );
    expect(render(createHnswIndex({ id, dimension: 768, metric: "cosine" }))?.sql).toContain(
      "((centroid::vector(768)) vector_cosine_ops)",
    );
  });

  it("is left out beyond HNSW's 2,000 dimensions (such libraries are scanned exactly)", () => {
    expect(createHnswIndex({ id, dimension: 2000, metric: "cosine" })).toBeDefined();
    expect(createHnswIndex({ id, dimension: 2001, metric: "cosine" })).toBeUndefined();
  });

  it("refuses anything but a uuid where literals are inlined", () => {
    expect(() => createHnswIndex({ id: "x'; DROP TABLE adapters; --", dimension: 3, metric: "cosine" })).toThrow(
      "invalid library id",
    );
  });
});

describe("nearest query pieces", () => {
  it("repeat the index predicate with literals, so the planner can match it", () => {
    expect(render(activeInLibrary({ id, dimension: 3, metric: "euclidean" }))).toEqual({
      sql: `"adapters"."library_id" = '0b6f7a40-5c1e-4c8e-9a65-2f1d3c4b5a69' AND "adapters"."status" = 'active'`,
      params: [],
    });
  });

  it("order by the index expression with <-> (euclidean) or <=> (cosine), the query a parameter", () => {
    const query = Float32Array.from([1, 2, 3]);
    expect(render(distanceTo({ id, dimension: 3, metric: "euclidean" }, query))).toEqual({
      sql: '("adapters"."centroid"::vector(3) <-> $1::vector(3))',
      params: ["[1,2,3]"],
    });
    expect(render(distanceTo({ id, dimension: 3, metric: "cosine" }, query))?.sql).toContain("<=>");
  });

  it("search with ef_search max(64, 2k) up to 1,000 and strict-order iterative scans; exact turns index scans off", () => {
    const settings = (k: number, exact: boolean) => searchSettings(k, exact).map((s) => render(s));
    expect(settings(5, false)).toEqual([
      { sql: "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'strict_order', true)", params: ["64"] },
    ]);
    expect(settings(100, false)[0]?.params).toEqual(["200"]);
    expect(settings(5000, false)[0]?.params).toEqual(["1000"]);
    expect(settings(5, true)).toEqual([{ sql: "SELECT set_config('enable_indexscan', 'off', true)", params: [] }]);
  });
});

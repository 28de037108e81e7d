// Part of the AdapterIndex contract (index.ts): nearest (exact distances, ties, exclusions) and HNSW recall
// against brute force.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createPrng, numpy, routing } from "@semla/core";
import { beforeAll, describe, expect, it } from "vitest";
import type { LibraryRecord } from "../../db/adapter-index.js";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { HNSW_MIN_ADAPTERS, hnswIndexName } from "../../db/hnsw.js";
import { toVectorLiteral } from "../../db/vector.js";
import { addActive, clusteredPoints, near, newAdapter, rejection, uniqueTenant } from "../fixtures.js";
import { type ContractDatabase, type ContractSuite, ids } from "./suite.js";

/** Active rows straight into the table, as a bulk load would put them (no activation, so no index change). */
async function bulkActive(db: ContractDatabase, lib: LibraryRecord, points: readonly ArrayLike<number>[], prefix: string): Promise<void> {
  const rows = points.map((p, i) => {
    const id = randomUUID();
    return `('${id}', '${lib.id}', '${prefix}${i}', 1, 'active', 4, 8, '["q"]', '{}', '{}', 'bulk/${id}', 1, '${"0".repeat(64)}', '${toVectorLiteral(p)}')`;
  });
  await db.query(`INSERT INTO adapters (id, library_id, name, version, status, rank, alpha, target_modules, module_shapes, config, object_key, byte_size, sha256, centroid) VALUES ${rows.join(",")}`);
}

const hnswIndexes = (db: ContractDatabase, lib: LibraryRecord) => db.query(`SELECT indexname FROM pg_indexes WHERE indexname = '${hnswIndexName(lib.id)}'`);

/** packages/registry/fixtures/float64-distances (generate.py): numpy's float64 distances of float32 centroids. */
async function float64Fixture(name: string): Promise<{ shape: readonly number[]; values: Float64Array }> {
  const bytes = new Uint8Array(await readFile(new URL(`../../../fixtures/float64-distances/${name}`, import.meta.url)));
  const header = numpy.parseNpyHeader(bytes);
  const count = header.shape.reduce((n, d) => n * d, 1);
  const source = bytes.slice(header.dataOffset);
  const values = header.descr === "<f8" ? new Float64Array(source.buffer, 0, count) : Float64Array.from(new Float32Array(source.buffer, 0, count));
  return { shape: header.shape, values };
}

export function describeNearest(suite: ContractSuite): void {
  let db: ContractDatabase;
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ db, index } = suite);
  });
  const { library } = suite;

  describe("nearest", () => {
    const q = (...v: number[]) => Float32Array.from(v);

    it("returns euclidean distances exactly: 3, 5 (3-4-5) and 7 in a 4-d library", async () => {
      const lib = await library({ dimension: 4, metric: "euclidean" });
      const five = await addActive(index, lib, "five", [3, 4, 0, 0]);
      const three = await addActive(index, lib, "three", [1, 2, 2, 0]);
      const seven = await addActive(index, lib, "seven", [2, 3, 0, 6]);
      for (const exact of [false, true]) {
        expect(await index.nearest(lib.id, q(0, 0, 0, 0), { k: 3, exact })).toEqual([
          { id: three.id, name: "three", version: 1, distance: 3 },
          { id: five.id, name: "five", version: 1, distance: 5 },
          { id: seven.id, name: "seven", version: 1, distance: 7 },
        ]);
      }
      const [near] = await index.nearest(lib.id, q(1, 1, 0, 0), { k: 1 });
      expect(near?.distance).toBeCloseTo(routing.euclideanDistance([1, 1, 0, 0], [1, 2, 2, 0]), 6);
    });

    it("returns cosine distances 1 − cos: 0 same direction, 1 − 1/√2 at 45°, 1 orthogonal, 2 opposite", async () => {
      const lib = await library({ dimension: 3, metric: "cosine" });
      const same = await addActive(index, lib, "same", [2, 0, 0]);
      const diagonal = await addActive(index, lib, "diagonal", [1, 1, 0]);
      const orthogonal = await addActive(index, lib, "orthogonal", [0, 3, 0]);
      const opposite = await addActive(index, lib, "opposite", [-1, 0, 0]);
      for (const exact of [false, true]) {
        const found = await index.nearest(lib.id, q(1, 0, 0), { k: 4, exact });
        expect(ids(found)).toEqual([same.id, diagonal.id, orthogonal.id, opposite.id]);
        const expected = [0, 1 - 1 / Math.SQRT2, 1, 2];
        found.forEach((n, i) => {
          expect(n.distance).toBeCloseTo(expected[i] as number, 12);
        });
      }
      const [near] = await index.nearest(lib.id, q(1, 2, 2), { k: 1 });
      expect(near?.distance).toBeCloseTo(routing.cosineDistance([1, 2, 2], [1, 1, 0]), 6);
    });

    it("never returns pending rows", async () => {
      const lib = await library({ dimension: 2 });
      await index.insertPending(newAdapter(lib.id, "close", [0, 0]));
      expect(await index.nearest(lib.id, q(0, 0), { k: 3 })).toEqual([]);
      const far = await addActive(index, lib, "far", [9, 0]);
      await index.insertPending(newAdapter(lib.id, "far", [0, 0]));
      expect(ids(await index.nearest(lib.id, q(0, 0), { k: 3 }))).toEqual([far.id]);
    });

    it("leaves out excluded ids and names, and the next nearest takes their place", async () => {
      const lib = await library({ dimension: 2 });
      const a = await addActive(index, lib, "a", [1, 0]);
      const b = await addActive(index, lib, "b", [2, 0]);
      const c = await addActive(index, lib, "c", [3, 0]);
      for (const exact of [false, true]) {
        const near = async (exclude: string[]) => ids(await index.nearest(lib.id, q(0, 0), { k: 2, exclude, exact }));
        expect(await near([])).toEqual([a.id, b.id]);
        expect(await near([a.id])).toEqual([b.id, c.id]);
        expect(await near(["b"])).toEqual([a.id, c.id]);
        expect(await near([a.id.toUpperCase(), "b"])).toEqual([c.id]);
        expect(await near(["unknown", randomUUID()])).toEqual([a.id, b.id]);
      }
    });

    it("returns the whole library, nearest first, when k exceeds its size", async () => {
      const lib = await library({ dimension: 2 });
      const far = await addActive(index, lib, "far", [0, 3]);
      const near = await addActive(index, lib, "near", [0, 1]);
      const mid = await addActive(index, lib, "mid", [0, 2]);
      expect(await index.nearest(lib.id, q(0, 0), { k: 10 })).toEqual([
        { id: near.id, name: "near", version: 1, distance: 1 },
        { id: mid.id, name: "mid", version: 1, distance: 2 },
        { id: far.id, name: "far", version: 1, distance: 3 },
      ]);
    });

    it("breaks distance ties by id, also at the k-th place", async () => {
      const lib = await library({ dimension: 2 });
      const nearest = await addActive(index, lib, "nearest", [0.5, 0]);
      const tied = await Promise.all(["t1", "t2", "t3", "t4"].map((name) => addActive(index, lib, name, [0, 1])));
      const byId = ids(tied).sort();
      for (const exact of [false, true]) {
        expect(ids(await index.nearest(lib.id, q(0, 0), { k: 3, exact }))).toEqual([nearest.id, ...byId.slice(0, 2)]);
        expect(ids(await index.nearest(lib.id, q(0, 0), { k: 5, exact }))).toEqual([nearest.id, ...byId]);
      }
    });

    it("keeps libraries of different dimensions (3 and 5) apart", async () => {
      const tenant = uniqueTenant();
      const three = await library({ tenant, name: "three", dimension: 3 });
      const five = await library({ tenant, name: "five", dimension: 5 });
      const a = await addActive(index, three, "a", [1, 0, 0]);
      const b = await addActive(index, five, "b", [0, 0, 0, 0, 2]);
      expect(await index.nearest(three.id, q(0, 0, 0), { k: 5 })).toEqual([{ id: a.id, name: "a", version: 1, distance: 1 }]);
      expect(await index.nearest(five.id, q(0, 0, 0, 0, 0), { k: 5 })).toEqual([{ id: b.id, name: "b", version: 1, distance: 2 }]);
      const error = await rejection(index.nearest(three.id, q(0, 0, 0, 0, 0), { k: 1 }));
      expect(error.code).toBe("registry.dimension-mismatch");
      expect(error.message).toBe(`query has dimension 5 but library ${three.id} has dimension 3`);
      expect((await rejection(index.insertPending(newAdapter(five.id, "c", [1, 2, 3])))).code).toBe("registry.dimension-mismatch");
    });

    it("refuses an unknown library, a non-finite query and k < 1", async () => {
      const lib = await library({ dimension: 2 });
      expect((await rejection(index.nearest(randomUUID(), q(0, 0), { k: 1 }))).code).toBe("registry.unknown-library");
      expect((await rejection(index.nearest(lib.id, q(Number.NaN, 0), { k: 1 }))).code).toBe("registry.non-finite-centroid");
      expect((await rejection(index.nearest(lib.id, q(0, 0), { k: 0 }))).code).toBe("routing.invalid-options");
    });
  });

  describe("distances in float64", () => {
    for (const metric of ["euclidean", "cosine"] as const) {
      it(`a plan's ${metric} distances equal numpy's float64 ones to 1e-9 (pgvector's own float32 ones are not)`, async () => {
        const centroids = await float64Fixture("centroids.npy");
        const query = Float32Array.from((await float64Fixture("query.npy")).values);
        const expected = (await float64Fixture(`${metric}.npy`)).values;
        const [count = 0, dimension = 0] = centroids.shape;
        const lib = await library({ dimension, metric });
        const rows = Array.from({ length: count }, (_, i) => centroids.values.subarray(i * dimension, (i + 1) * dimension));
        await bulkActive(db, lib, rows, "n");
        const order = Array.from(expected.keys()).sort((a, b) => (expected[a] as number) - (expected[b] as number));
        for (const exact of [false, true]) {
          const found = await index.nearest(lib.id, query, { k: 5, exact });
          expect(found.map((n) => n.name)).toEqual(order.slice(0, 5).map((i) => `n${i}`));
          found.forEach((n, i) => {
            expect(Math.abs(n.distance - (expected[order[i] as number] as number))).toBeLessThan(1e-9);
          });
        }
        // pgvector's own distances (float32 sums) would fail this test: euclidean ones by more than 1e-6 here.
        const op = metric === "cosine" ? "<=>" : "<->";
        const raw = await db.query(`SELECT name, (centroid ${op} '${toVectorLiteral(query)}')::double precision AS d FROM adapters WHERE library_id = '${lib.id}'`);
        const worst = Math.max(...raw.map((r) => Math.abs(Number(r.d) - (expected[Number(String(r.name).slice(1))] as number))));
        expect(worst).toBeGreaterThan(metric === "euclidean" ? 1e-6 : 1e-9);
      });
    }
  });

  describe("the search index follows the library's size", () => {
    const q = (...v: number[]) => Float32Array.from(v);
    it(`a library gets its HNSW index at ${HNSW_MIN_ADAPTERS} active adapters, keeps it down to half as many, and loses it below`, async () => {
      const lib = await library({ dimension: 3 });
      const random = createPrng(11, "index-lifecycle");
      const point = () => [random.normal(), random.normal(), random.normal()];
      await bulkActive(db, lib, Array.from({ length: HNSW_MIN_ADAPTERS - 1 }, point), "bulk");
      expect(await index.syncSearchIndex(lib.id)).toBeUndefined();
      expect(await hnswIndexes(db, lib)).toEqual([]);
      const crossing = await addActive(index, lib, "crossing", point());
      expect(await hnswIndexes(db, lib)).toHaveLength(1);
      // A new version of an indexed name, then a delete at the edge: the index stays.
      await addActive(index, lib, "crossing", point());
      expect((await index.deleteAdapter(crossing.id))?.status).toBe("superseded");
      const newest = await index.listAdapters(lib.tenant, { libraryId: lib.id, name: "crossing", status: "active", limit: 1 });
      await index.deleteAdapter(newest.items[0]?.id as string);
      expect(await hnswIndexes(db, lib)).toHaveLength(1);
      // Down to HNSW_MIN_ADAPTERS / 2 active ones the index stays; one fewer and it goes.
      await db.query(`DELETE FROM adapters WHERE id IN (SELECT id FROM adapters WHERE library_id = '${lib.id}' AND name LIKE 'bulk%' ORDER BY name LIMIT ${HNSW_MIN_ADAPTERS / 2 - 1})`);
      expect(await index.syncSearchIndex(lib.id)).toBeUndefined();
      const [first] = (await index.listAdapters(lib.tenant, { libraryId: lib.id, status: "active", limit: 1 })).items;
      await index.deleteAdapter(first?.id as string);
      expect(await hnswIndexes(db, lib)).toEqual([]);
      expect(await index.nearest(lib.id, q(0, 0, 0), { k: 5 })).toHaveLength(5);
    }, 120_000);

    it("a small library's search scans its rows through the b-tree on the library, exactly", async () => {
      const lib = await library({ dimension: 2 });
      await bulkActive(
        db,
        lib,
        [
          [1, 0],
          [2, 0],
          [3, 0],
        ],
        "s",
      );
      await db.query("ANALYZE adapters");
      const plan = await index.explainNearest(lib.id, q(0, 0), { k: 2 });
      expect(plan).not.toContain("hnsw");
      expect(plan).toMatch(/Index Scan using adapters_one_active_per_name|Bitmap Index Scan on adapters_one_active_per_name/);
    });

    it("refuses to sync the index of an unknown library", async () => {
      expect((await rejection(index.syncSearchIndex(randomUUID()))).code).toBe("registry.unknown-library");
    });
  });

  describe("HNSW on 2,000 centroids in 40 clusters of 32-d", () => {
    let lib: LibraryRecord;
    let centres: Float32Array[];
    let stored: Map<string, Float32Array>;
    const random = createPrng(7, "registry-recall");
    /** A query from the domain of cluster i: its centre, moved a little. */
    const probe = (i: number) => near(random, centres[i % centres.length] as Float32Array, 0.1);

    beforeAll(async () => {
      lib = await library({ dimension: 32 });
      const data = clusteredPoints(random, { count: 2000, dimension: 32, groups: 40, spread: 0.15 });
      centres = data.centres;
      // All but one in bulk; the last through activate, which crosses HNSW_MIN_ADAPTERS and builds the index.
      const last = data.points.length - 1;
      await bulkActive(db, lib, data.points.slice(0, last), "c");
      expect(await hnswIndexes(db, lib)).toEqual([]);
      await addActive(index, lib, `c${last}`, Array.from(data.points[last] as Float32Array));
      expect(await hnswIndexes(db, lib)).toEqual([{ indexname: hnswIndexName(lib.id) }]);
      await db.query("ANALYZE adapters");
      const back = await db.query(`SELECT id, centroid::text AS c FROM adapters WHERE library_id = '${lib.id}'`);
      stored = new Map(back.map((r) => [String(r.id), Float32Array.from(JSON.parse(String(r.c)) as number[])]));
    }, 120_000);

    it("the search query matches the library's HNSW index, also with exclusions; exact does not", async () => {
      // 2,000 32-d rows are small enough that at the default ef_search (100) the planner rightly
      // prefers an exact scan; at pgvector's default 40 the index is cheaper, which shows the query's
      // expression and predicate match the partial index (bench/registry.bench.ts covers 768-d).
      const indexScan = `Index Scan using ${hnswIndexName(lib.id)} on adapters`;
      expect(await index.explainNearest(lib.id, probe(0), { k: 5, efSearch: 40 })).toContain(indexScan);
      expect(await index.explainNearest(lib.id, probe(1), { k: 5, efSearch: 40, exclude: ["c1", randomUUID()] })).toContain(indexScan);
      const exact = await index.explainNearest(lib.id, probe(2), { k: 5, exact: true });
      expect(exact).not.toContain(hnswIndexName(lib.id));
      expect(exact).toContain("Seq Scan on adapters");
    });

    it("HNSW top-5 equals the exact top-5 for 20 queries, and exact equals brute force", async () => {
      // ef_search 64: approximate search may miss (≈1 in 5,000 queries here at 40, the default), and
      // a test must not; at 64 no miss was seen. Recall at the default is measured by npm run bench.
      for (let i = 0; i < 20; i++) {
        const query = probe(i * 2);
        const approx = await index.nearest(lib.id, query, { k: 5, efSearch: 64 });
        const exact = await index.nearest(lib.id, query, { k: 5, exact: true });
        expect(ids(approx)).toEqual(ids(exact));
        const brute = [...stored]
          .map(([id, c]) => ({ id, distance: routing.euclideanDistance(query, c) }))
          .sort(routing.compareNeighbors)
          .slice(0, 5);
        expect(ids(exact)).toEqual(ids(brute));
        exact.forEach((n, i) => {
          expect(n.distance).toBeCloseTo(brute[i]?.distance ?? Number.NaN, 4);
        });
      }
    });

    it("with 20 exclusions the iterative scan still returns k = 20 rows, the next 20 in order", async () => {
      const query = probe(3);
      const first = ids(await index.nearest(lib.id, query, { k: 20 }));
      const rest = ids(await index.nearest(lib.id, query, { k: 20, exclude: first }));
      expect(rest).toHaveLength(20);
      expect(rest.filter((id) => first.includes(id))).toEqual([]);
      expect(rest).toEqual(ids(await index.nearest(lib.id, query, { k: 40, exact: true })).slice(20));
    });
  });
}

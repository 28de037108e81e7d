/**
 * Retrieval as tenants multiply, on real PostgreSQL + pgvector: 10, 100, 1,000 and 5,000 libraries
 * of 20 adapters each, plus one library of 100,000, all in the one `adapters` table, 768-d.
 * k = 5 through AdapterIndex.nearest (end to end: one round trip, planning and execution), and the
 * server's own planning and execution times (EXPLAIN ANALYZE of the same statement), p50/p99, for a
 * random small library per query and for the large one; recall@5 of the small libraries against
 * float64 brute force over their 20 stored centroids, of the large one against its exact scan.
 * Two designs in the same run, on the same rows:
 * - "per-library HNSW" (before): every library has its partial HNSW index;
 * - "threshold" (now, hnsw.ts): only libraries of HNSW_MIN_ADAPTERS+ have one, the rest are scanned
 *   exactly through the b-tree on the library.
 * Clustered centroids (as CLIP's) and uniform-random ones are reported separately.
 */
import { table } from "@semla/cli/format";
import { createPrng, routing } from "@semla/core";
import { createPgAdapterIndex, type DrizzleAdapterIndex, HNSW_MIN_ADAPTERS } from "@semla/registry";
import { createHnswIndex, createScratchDatabase, toVectorLiteral } from "@semla/registry/testing";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { acquirePostgres } from "../test/setup/postgres.js";
import { type Distribution, generate } from "./centroids.js";
import { percentile, writeResult } from "./stats.js";

const DIMENSION = 768;
const K = 5;
const PER_LIBRARY = 20;
const LARGE = Number(process.env.SEMLA_BENCH_LARGE ?? 100_000);
const STEPS = (process.env.SEMLA_BENCH_LIBRARIES ?? "10,100,1000,5000").split(",").map(Number);
const QUERIES = Number(process.env.SEMLA_BENCH_TENANT_QUERIES ?? 200);
const WARMUP = 20;

type Design = "per-library HNSW" | "threshold";

interface Library {
  readonly id: string;
  readonly points: Float32Array[];
  readonly ids: string[];
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

async function insertLibraries(pool: pg.Pool, count: number, tenant: string, first = 1): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO libraries (tenant, name, base_model_id, embedding_model_id, dimension, metric)
     SELECT $1, 'lib-' || g, 'b', 'clip-vit-l-14', $2, 'euclidean' FROM generate_series($4::integer, $4::integer + $3::integer - 1) g RETURNING id`,
    [tenant, DIMENSION, count, first],
  );
  return rows.map((r) => r.id);
}

async function insertAdapters(pool: pg.Pool, libraryIds: readonly string[], points: readonly Float32Array[]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < points.length; start += 1000) {
    const batch = points.slice(start, start + 1000);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO adapters (id, library_id, name, version, status, rank, alpha, target_modules, module_shapes, config, object_key, byte_size, sha256, centroid)
       SELECT id, lib, 'domain-' || id, 1, 'active', 8, 16, '[]', '{}', '{}', 'bench/' || id, 0, repeat('0', 64), c::vector
       FROM (SELECT gen_random_uuid() AS id, lib, c, n FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(lib, c, n)) s ORDER BY n RETURNING id`,
      [libraryIds.slice(start, start + 1000), batch.map((p) => toVectorLiteral(p))],
    );
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

/** The server's planning and execution time of the search statement, under the search's settings (ef_search 40, iterative scan). */
interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}
const describePlan = (node: PlanNode): string =>
  [
    `${node["Node Type"]}${node["Index Name"] ? ` on ${node["Index Name"].startsWith("adapters_hnsw_") ? "adapters_hnsw_<library>" : node["Index Name"]}` : ""}`,
    ...(node.Plans ?? []).map(describePlan),
  ].join(" > ");

async function serverTimes(client: pg.PoolClient, libraryId: string, query: Float32Array): Promise<{ planningMs: number; executionMs: number; plan: string }> {
  await client.query("BEGIN");
  try {
    await client.query("SET LOCAL hnsw.ef_search = 40; SET LOCAL hnsw.iterative_scan = strict_order");
    const { rows } = await client.query<{ sql: string }>("SELECT semla_nearest_sql($1::uuid, $2, 'euclidean') AS sql", [libraryId, DIMENSION]);
    const statement = rows[0]!.sql
      .replaceAll("$1", `'${toVectorLiteral(query)}'`)
      .replaceAll("$2", "ARRAY[]::text[]")
      .replaceAll("$3", String(K + 1));
    const plan = await client.query(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${statement}`);
    const [result] = plan.rows[0]["QUERY PLAN"] as { "Planning Time": number; "Execution Time": number; Plan: PlanNode }[];
    return { planningMs: result!["Planning Time"], executionMs: result!["Execution Time"], plan: describePlan(result!.Plan) };
  } finally {
    await client.query("COMMIT");
  }
}

async function measure(
  index: DrizzleAdapterIndex,
  pool: pg.Pool,
  libraries: readonly Library[],
  large: { library: Library; exact: string[][]; queries: Float32Array[] } | undefined,
  queries: Float32Array[],
  seed: number,
) {
  const random = createPrng(seed, "tenant-queries");
  const picks = queries.map(() => libraries[Math.floor(random.next() * libraries.length)]!);
  // Warm the per-process library cache and the pages of the libraries queried.
  for (const lib of new Set(picks)) await index.nearest(lib.id, queries[0]!, { k: K });
  const small = { times: [] as number[], planning: [] as number[], execution: [] as number[], recall: 0, plans: new Set<string>() };
  const client = await pool.connect();
  try {
    for (const [i, query] of queries.entries()) {
      const lib = picks[i]!;
      const start = performance.now();
      const found = await index.nearest(lib.id, query, { k: K });
      const ms = performance.now() - start;
      const brute = lib.points
        .map((p, j) => ({ id: lib.ids[j]!, distance: routing.euclideanDistance(query, p) }))
        .sort(routing.compareNeighbors)
        .slice(0, K)
        .map((n) => n.id);
      const server = await serverTimes(client, lib.id, query);
      if (i < WARMUP) continue;
      small.times.push(ms);
      small.planning.push(server.planningMs);
      small.execution.push(server.executionMs);
      small.plans.add(server.plan);
      small.recall += found.filter((n) => brute.includes(n.id)).length / K;
    }
    small.recall /= queries.length - WARMUP;
    const big = { times: [] as number[], planning: [] as number[], execution: [] as number[], recall: 0, plans: new Set<string>() };
    for (const [i, query] of (large?.queries ?? []).entries()) {
      const start = performance.now();
      const found = await index.nearest(large!.library.id, query, { k: K });
      const ms = performance.now() - start;
      const server = await serverTimes(client, large!.library.id, query);
      if (i < WARMUP) continue;
      big.times.push(ms);
      big.planning.push(server.planningMs);
      big.execution.push(server.executionMs);
      big.plans.add(server.plan);
      big.recall += found.filter((n) => large!.exact[i]!.includes(n.id)).length / K;
    }
    big.recall /= (large?.queries.length ?? WARMUP + 1) - WARMUP;
    const shape = (m: typeof small) => ({ latencyMs: summary(m.times), planningMs: summary(m.planning), executionMs: summary(m.execution), recall: m.recall, plans: [...m.plans] });
    return { small: shape(small), large: large ? shape(big) : undefined };
  } finally {
    client.release();
  }
}

/**
 * One design, its libraries added step by step. "threshold" next to the large library (its index
 * built as the threshold design builds it). "per-library HNSW" without it: there every library's
 * index is created with the library, as the old createLibrary did, and a partial index build scans
 * the whole table, 2 s a library with the large library's 100k rows in it (measured), which would
 * take hours at 5,000; without those rows, the small libraries' planning and execution are the same.
 */
async function run(url: string, distribution: Distribution, design: Design, onStep: (row: object) => Promise<void>) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const index = await createPgAdapterIndex({ pool });
  const db = drizzle(pool);
  const tenant = `bench-${distribution}`;
  let large: { library: Library; exact: string[][]; queries: Float32Array[]; buildMs: number } | undefined;
  if (design === "threshold") {
    const [largeId] = await insertLibraries(pool, 1, `${tenant}-large`);
    const largeData = generate(distribution, LARGE, 1, { dimension: DIMENSION, queries: QUERIES });
    const library: Library = { id: largeId!, points: largeData.points, ids: await insertAdapters(pool, Array(LARGE).fill(largeId), largeData.points) };
    await pool.query("SET maintenance_work_mem = '2GB'");
    const started = performance.now();
    // The large library crosses the threshold: the index the threshold design builds for it.
    if ((await index.syncSearchIndex(library.id)) !== "create") throw new Error("the large library got no HNSW index");
    const buildMs = performance.now() - started;
    await pool.query("ANALYZE adapters");
    const exact: string[][] = [];
    for (const q of largeData.queries) exact.push((await index.nearest(library.id, q, { k: K, exact: true })).map((n) => n.id));
    large = { library, exact, queries: largeData.queries, buildMs };
    console.error(`tenants ${distribution}: large library of ${LARGE} loaded, index built in ${(buildMs / 1000).toFixed(1)} s`);
  }

  const libraries: Library[] = [];
  for (const [step, count] of STEPS.entries()) {
    const ids = await insertLibraries(pool, count - libraries.length, tenant, libraries.length + 1);
    let createLibraryMs = 0;
    if (design === "per-library HNSW") {
      const started = performance.now();
      for (const id of ids) await db.execute(createHnswIndex({ id, dimension: DIMENSION, metric: "euclidean" })!);
      createLibraryMs = (performance.now() - started) / ids.length;
    }
    const data = generate(distribution, ids.length * PER_LIBRARY, 100 + step, { dimension: DIMENSION, queries: QUERIES });
    const owners = ids.flatMap((id) => Array<string>(PER_LIBRARY).fill(id));
    const adapterIds = await insertAdapters(pool, owners, data.points);
    ids.forEach((id, j) => {
      libraries.push({ id, points: data.points.slice(j * PER_LIBRARY, (j + 1) * PER_LIBRARY), ids: adapterIds.slice(j * PER_LIBRARY, (j + 1) * PER_LIBRARY) });
    });
    await pool.query("ANALYZE adapters");
    const result = await measure(index, pool, libraries, large, data.queries, step);
    // Inserts into the table with the design's indexes (every partial predicate is checked): the median of 20.
    const inserts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const probe = await insertAdapters(pool, [libraries[i % libraries.length]!.id], [data.points[i]!]);
      inserts.push(performance.now() - started);
      await pool.query("DELETE FROM adapters WHERE id = $1", [probe[0]]);
    }
    const insertMs = summary(inserts).p50;
    const row = { distribution, libraries: count, design, indexes: design === "threshold" ? 1 : count, ...result, insertMs, createLibraryMs, largeBuildMs: large?.buildMs };
    await onStep(row);
    const f = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(2));
    console.error(
      `tenants ${distribution} ${count} ${design}: small p50 ${f(result.small.latencyMs.p50)} p99 ${f(result.small.latencyMs.p99)} plan ${f(result.small.planningMs.p50)} exec ${f(result.small.executionMs.p50)} recall ${result.small.recall.toFixed(3)}; large p50 ${f(result.large?.latencyMs.p50)} recall ${f(result.large?.recall)}; insert ${f(insertMs)} ms; ${result.small.plans.join(" | ")}`,
    );
  }
  await index.close();
  await pool.end();
}

const postgres = await acquirePostgres();
try {
  const rows: object[] = [];
  const save = () => writeResult("tenants", { k: K, dimension: DIMENSION, perLibrary: PER_LIBRARY, large: LARGE, hnswMinAdapters: HNSW_MIN_ADAPTERS, queries: QUERIES - WARMUP, rows });
  const designs = (process.env.SEMLA_BENCH_DESIGNS ?? "threshold,per-library HNSW").split(",") as Design[];
  for (const distribution of (process.env.SEMLA_BENCH_DISTRIBUTIONS ?? "clustered,uniform").split(",") as Distribution[]) {
    for (const design of designs) {
      const database = await createScratchDatabase(postgres.url);
      try {
        // Written after every step, so a long run leaves what it measured.
        await run(database.url, distribution, design, async (row) => {
          rows.push(row);
          await save();
        });
      } finally {
        await database.drop();
      }
    }
  }
  console.log(
    `\nRetrieval by number of libraries (${PER_LIBRARY} adapters each), k = ${K}, ${DIMENSION}-d, ${QUERIES - WARMUP} timed queries each; HNSW_MIN_ADAPTERS = ${HNSW_MIN_ADAPTERS}; large library: ${LARGE.toLocaleString("en-US")}\n`,
  );
  type Row = { distribution: string; libraries: number; design: string; indexes: number; insertMs: number; createLibraryMs: number; small: Shape; large: Shape | undefined };
  type Shape = { latencyMs: { p50: number; p99: number }; planningMs: { p50: number }; executionMs: { p50: number }; recall: number };
  const f = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(2));
  console.log(
    table(
      [
        "distribution",
        "libraries",
        "design",
        "HNSW indexes",
        "small p50 ms",
        "small p99 ms",
        "small plan p50",
        "small exec p50",
        "small recall@5",
        "large p50 ms",
        "large p99 ms",
        "large recall@5",
        "insert ms",
        "create library ms",
      ],
      (rows as Row[]).map((r) => [
        r.distribution,
        r.libraries.toLocaleString("en-US"),
        r.design,
        r.indexes.toLocaleString("en-US"),
        f(r.small.latencyMs.p50),
        f(r.small.latencyMs.p99),
        f(r.small.planningMs.p50),
        f(r.small.executionMs.p50),
        r.small.recall.toFixed(3),
        f(r.large?.latencyMs.p50),
        f(r.large?.latencyMs.p99),
        r.large ? r.large.recall.toFixed(3) : "-",
        f(r.insertMs),
        f(r.createLibraryMs),
      ]),
    ),
  );
  const pairs = (rows as Row[])
    .filter((r) => r.design === "threshold")
    .flatMap((now) => {
      const before = (rows as Row[]).find((r) => r.design !== "threshold" && r.libraries === now.libraries && r.distribution === now.distribution);
      return before
        ? [
            [
              now.distribution,
              now.libraries.toLocaleString("en-US"),
              (now.small.latencyMs.p50 / before.small.latencyMs.p50).toFixed(3),
              (now.small.planningMs.p50 / before.small.planningMs.p50).toFixed(3),
              (now.insertMs / before.insertMs).toFixed(3),
            ],
          ]
        : [];
    });
  console.log(table(["distribution", "libraries", "small p50: threshold / per-library", "planning p50: threshold / per-library", "insert: threshold / per-library"], pairs));
  await save();
} finally {
  await postgres.release();
}

/**
 * Registry benchmark on real PostgreSQL + pgvector and s3rver:
 * - k-NN (k = 5) latency p50/p99 through AdapterIndex.nearest with the library's HNSW index, for
 *   1k/10k/100k 768-d centroids, next to the exact scan of the same data in the same run, and
 *   recall@5 against it. Clustered centroids (related domains cluster, as real CLIP centroids do)
 *   and uniform-random ones (HNSW's worst case) are reported separately.
 * - Ingestion throughput of 17 MB CAT-Seg-L-shaped adapters into s3rver, next to plain S3 puts.
 */
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { table } from "@semla/cli/format";
import { CATSEG_L_ALPHA, CATSEG_L_MODULES, CATSEG_L_RANK, peft, randomAdapter } from "@semla/core";
import { createPgAdapterIndex, type LibraryRecord, registerAdapter } from "@semla/registry";
import { createHnswIndex, createScratchDatabase, defaultEfSearch, hnswIndexName, toVectorLiteral } from "@semla/registry/testing";
import { createS3BlobStore } from "@semla/storage";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { acquirePostgres } from "../test/setup/postgres.js";
import { startS3Server } from "../test/setup/s3.js";
import { type Distribution, generate } from "./centroids.js";
import { percentile, writeResult } from "./stats.js";

const DIMENSION = 768;
const SIZES = (process.env.SEMLA_BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);
const QUERIES = 200;
const K = 5;

async function bulkLoad(pool: pg.Pool, library: LibraryRecord, points: readonly Float32Array[]): Promise<number> {
  const db = drizzle(pool);
  await pool.query(`DROP INDEX IF EXISTS "${hnswIndexName(library.id)}"`);
  for (let start = 0; start < points.length; start += 1000) {
    const batch = points.slice(start, start + 1000);
    const ids = batch.map(() => randomUUID());
    await pool.query(
      `INSERT INTO adapters (id, library_id, name, version, status, rank, alpha, target_modules, module_shapes, config, object_key, byte_size, sha256, centroid)
       SELECT id, $1, 'domain-' || id, 1, 'active', 8, 16, '[]', '{}', '{}', 'bench/' || id, 0, repeat('0', 64), c::vector
       FROM unnest($2::uuid[], $3::text[]) AS t(id, c)`,
      [library.id, ids, batch.map((p) => toVectorLiteral(p))],
    );
  }
  const started = performance.now();
  await pool.query("SET maintenance_work_mem = '2GB'");
  await db.execute(createHnswIndex(library)!);
  const buildMs = performance.now() - started;
  await pool.query("ANALYZE adapters");
  return buildMs;
}

/** Up to this size, recall is also measured on raw pgvector (a plain vector(768) column, its default index), on the same data. */
const RAW_MAX = Number(process.env.SEMLA_BENCH_RAW_MAX ?? 10_000);

const recallOf = (found: readonly (readonly string[])[], truth: readonly (readonly string[])[]) =>
  found.reduce((sum, ids, i) => sum + ids.filter((id) => truth[i]!.includes(id)).length / K, 0) / found.length;

/**
 * Raw pgvector on the same points: `CREATE INDEX ... USING hnsw (embedding vector_l2_ops)` with its
 * defaults (m 16, ef_construction 64) after the rows are in, `ORDER BY embedding <-> q LIMIT 5` at
 * ef_search 40: recall for the independent queries the rest of this benchmark uses, and for queries
 * that are points of the data set (where each query finds itself, which lifts recall a lot).
 */
async function rawPgvectorRecall(pool: pg.Pool, points: readonly Float32Array[], sets: Record<string, readonly Float32Array[]>): Promise<Record<string, number>> {
  const client = await pool.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (id integer PRIMARY KEY, embedding vector(${DIMENSION}))`);
    for (let start = 0; start < points.length; start += 1000) {
      const batch = points.slice(start, start + 1000);
      await client.query("INSERT INTO bench_raw SELECT start + n - 1, e::vector FROM unnest($1::text[]) WITH ORDINALITY AS t(e, n), (SELECT $2::integer AS start) s", [
        batch.map((p) => toVectorLiteral(p)),
        start,
      ]);
    }
    await client.query("SET maintenance_work_mem = '2GB'");
    await client.query("CREATE INDEX ON bench_raw USING hnsw (embedding vector_l2_ops)");
    await client.query("ANALYZE bench_raw");
    const search = async (q: Float32Array, setting: string) => {
      await client.query("BEGIN");
      await client.query(setting);
      const { rows } = await client.query<{ id: number }>(`SELECT id FROM bench_raw ORDER BY embedding <-> $1::vector(${DIMENSION}) LIMIT ${K}`, [toVectorLiteral(q)]);
      await client.query("COMMIT");
      return rows.map((r) => String(r.id));
    };
    const out: Record<string, number> = {};
    for (const [name, queries] of Object.entries(sets)) {
      const truth = [];
      const found = [];
      for (const q of queries) {
        truth.push(await search(q, "SET LOCAL enable_indexscan = off"));
        found.push(await search(q, "SET LOCAL hnsw.ef_search = 40"));
      }
      out[name] = recallOf(found, truth);
    }
    await client.query("DROP TABLE bench_raw");
    return out;
  } finally {
    client.release();
  }
}

async function knnCase(url: string, size: number, distribution: Distribution) {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const index = await createPgAdapterIndex({ pool });
  const library = await index.createLibrary({ tenant: "bench", name: `${distribution}-${size}`, baseModelId: "b", embeddingModelId: "clip-vit-l-14", dimension: DIMENSION, metric: "euclidean" });
  const { points, queries } = generate(distribution, size, size, { dimension: DIMENSION, queries: QUERIES });
  const buildMs = await bulkLoad(pool, library, points);

  /** The first 20 queries warm caches and are not timed. */
  const time = async (options: { exact?: boolean; efSearch?: number }) => {
    const results: string[][] = [];
    const times: number[] = [];
    for (const q of queries) {
      const start = performance.now();
      const hits = await index.nearest(library.id, q, { k: K, ...options });
      times.push(performance.now() - start);
      results.push(hits.map((h) => h.id));
    }
    return { results, times: times.slice(20).sort((a, b) => a - b) };
  };
  await time({}); // warm the index pages
  const exact = await time({ exact: true });
  const rows = [];
  for (const efSearch of [undefined, 64, 100]) {
    const approx = await time({ efSearch });
    const recall = approx.results.reduce((sum, ids, i) => sum + ids.filter((id) => exact.results[i]!.includes(id)).length / K, 0) / queries.length;
    rows.push({
      size,
      distribution,
      efSearch: efSearch ?? `default (${defaultEfSearch(K)})`,
      buildMs,
      hnswP50: percentile(approx.times, 50),
      hnswP99: percentile(approx.times, 99),
      exactP50: percentile(exact.times, 50),
      exactP99: percentile(exact.times, 99),
      recall,
    });
  }
  let raw: { ours: Record<string, number>; pgvector: Record<string, number> } | undefined;
  if (size <= RAW_MAX) {
    const sets = { "independent queries": queries, "queries = data points": points.slice(0, QUERIES) };
    const ours: Record<string, number> = {};
    for (const [name, set] of Object.entries(sets)) {
      const truth = [];
      const found = [];
      for (const q of set) {
        truth.push((await index.nearest(library.id, q, { k: K, exact: true })).map((h) => h.id));
        found.push((await index.nearest(library.id, q, { k: K, efSearch: 40 })).map((h) => h.id));
      }
      ours[name] = recallOf(found, truth);
    }
    raw = { ours, pgvector: await rawPgvectorRecall(pool, points, sets) };
  }
  await pool.query("DELETE FROM adapters WHERE library_id = $1", [library.id]);
  await index.close();
  await pool.end();
  return { rows, raw: raw && { size, distribution, ...raw } };
}

async function ingestion(url: string) {
  const s3 = await startS3Server();
  const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  await client.send(new CreateBucketCommand({ Bucket: "semla-bench" }));
  const store = createS3BlobStore({ client, bucket: "semla-bench" });
  const index = await createPgAdapterIndex({ connectionString: url });
  const library = await index.createLibrary({ tenant: "bench", name: "ingest", baseModelId: "catseg-l", embeddingModelId: "clip", dimension: DIMENSION, metric: "euclidean" });
  const COUNT = 8;
  const files = Array.from({ length: COUNT }, (_, i) =>
    peft.writePeftAdapter(randomAdapter({ modules: CATSEG_L_MODULES, rank: CATSEG_L_RANK, alpha: CATSEG_L_ALPHA, seed: i, baseModel: "catseg-l" })),
  );
  const bytes = files[0]!.weights.byteLength;
  const { points } = generate("clustered", COUNT, 7, { dimension: DIMENSION, queries: 0 });

  let start = performance.now();
  for (const [i, f] of files.entries()) await client.send(new PutObjectCommand({ Bucket: "semla-bench", Key: `plain/${i}`, Body: f.weights }));
  const plainMs = performance.now() - start;
  start = performance.now();
  for (const [i, f] of files.entries()) {
    await registerAdapter({ index, store }, { tenant: "bench", libraryId: library.id, name: `domain-${i}`, config: f.config, weights: f.weights, centroid: points[i]! });
  }
  const registerMs = performance.now() - start;
  await index.close();
  client.destroy();
  await s3.close();
  return { count: COUNT, bytes, plainMs, registerMs };
}

const postgres = await acquirePostgres();
const database = await createScratchDatabase(postgres.url);
try {
  const knn = [];
  const raw = [];
  const distributions = (process.env.SEMLA_BENCH_DISTRIBUTIONS ?? "clustered,uniform").split(",") as Distribution[];
  for (const distribution of distributions) {
    for (const size of SIZES) {
      const result = await knnCase(database.url, size, distribution);
      knn.push(...result.rows);
      if (result.raw) raw.push(result.raw);
      console.error(`k-NN ${distribution} ${size}: done`);
    }
  }
  const ingest = process.env.SEMLA_BENCH_SKIP_INGESTION ? undefined : await ingestion(database.url);

  console.log(`k-NN, k = ${K}, ${DIMENSION}-d, ${QUERIES - 20} timed queries each through AdapterIndex.nearest (PostgreSQL 15 + pgvector 0.8, HNSW m=16 ef_construction=128)\n`);
  console.log(
    table(
      ["centroids", "distribution", "ef_search", "HNSW p50 ms", "HNSW p99 ms", "exact p50 ms", "HNSW / exact (p50)", "recall@5", "index build s"],
      knn.map((r) => [
        r.size.toLocaleString("en-US"),
        r.distribution,
        String(r.efSearch),
        r.hnswP50.toFixed(2),
        r.hnswP99.toFixed(2),
        r.exactP50.toFixed(2),
        (r.hnswP50 / r.exactP50).toFixed(3),
        r.recall.toFixed(3),
        (r.buildMs / 1000).toFixed(1),
      ]),
    ),
  );
  console.log("\nrecall@5 at ef_search 40, ours (AdapterIndex.nearest, ef_construction 128) next to raw pgvector (plain vector(768) column, default index) on the same points");
  console.log(
    table(
      ["centroids", "distribution", "queries", "ours", "raw pgvector"],
      raw.flatMap((r) => Object.keys(r.ours).map((set) => [r.size.toLocaleString("en-US"), r.distribution, set, r.ours[set]!.toFixed(3), r.pgvector[set]!.toFixed(3)])),
    ),
  );
  if (ingest) printIngestion(ingest);
  await writeResult("registry", { knn, raw, ingest });
} finally {
  await database.drop();
  await postgres.release();
}

function printIngestion(ingest: Awaited<ReturnType<typeof ingestion>>): void {
  const mb = (ingest.count * ingest.bytes) / 1e6;
  console.log(`\nIngestion of ${ingest.count} CAT-Seg-L-shaped adapters (${(ingest.bytes / 1e6).toFixed(1)} MB each) into PostgreSQL + s3rver`);
  console.log(
    table(
      ["operation", "adapters/s", "MB/s", "× plain put"],
      [
        ["plain S3 PutObject of the same bytes (baseline)", (ingest.count / (ingest.plainMs / 1000)).toFixed(2), (mb / (ingest.plainMs / 1000)).toFixed(1), "1.00"],
        [
          "registerAdapter (validate, sha256, put, index)",
          (ingest.count / (ingest.registerMs / 1000)).toFixed(2),
          (mb / (ingest.registerMs / 1000)).toFixed(1),
          (ingest.registerMs / ingest.plainMs).toFixed(2),
        ],
      ],
    ),
  );
}

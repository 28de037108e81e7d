/**
 * API benchmark on loopback, on real PostgreSQL + pgvector, s3rver and the reference endpoint as
 * SageMaker backend (tiny generated models, so model time does not drown the API's own). The API
 * runs in a process of its own; the clients and the endpoint share this one:
 * - API overhead = client-observed segment latency − the embed stage − the infer stage (transport to
 *   and time in the endpoint), p50/p99 warm, with 1 and 8 concurrent clients; next to the same
 *   requests through pipeline.segment in-process (the baseline: everything but HTTP, auth, JSON).
 * - Cold start: a fresh process (services from the environment, models downloaded from the bucket)
 *   to its first segment answer, split into process start + imports, service start, first request.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { adapterForm, axis, BASE_MODEL, noisePng, startE2eStack, tinyAdapterFiles } from "@semla/api/testing";
import { table } from "@semla/cli/format";
import { MODEL_FILE_NAMES, MODEL_PACK_MANIFEST } from "@semla/models";
import { acquirePostgres } from "../test/setup/postgres.js";
import { startS3Server } from "../test/setup/s3.js";
import { percentile, writeResult } from "./stats.js";

const ADAPTERS = 16;
const REQUESTS = Number(process.env.SEMLA_BENCH_API_REQUESTS ?? 240);
const CLASSES = ["road", "sky", "building", "vegetation", "car", "person"];

interface Sample {
  readonly latencyMs: number;
  readonly embedMs: number;
  readonly inferMs: number;
  /** The pipeline's own total (embed … infer): latency − total is the HTTP and API layer. */
  readonly totalMs: number;
}

const summary = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

const postgres = await acquirePostgres();
const s3 = await startS3Server();
const stack = await startE2eStack({ postgresUrl: postgres.url, s3Endpoint: s3.endpoint });
try {
  const { key, tenant } = await stack.tenant("bench");
  const dimension = stack.models.imageEncoder.dimension;
  const library = await stack.services.index.createLibrary({ tenant, name: "bench", baseModelId: BASE_MODEL, embeddingModelId: "clip-tiny", dimension, metric: "euclidean" });
  for (let i = 0; i < ADAPTERS; i++) {
    const files = tinyAdapterFiles(stack.models, 100 + i, 4);
    const centroid = JSON.stringify(axis(dimension, i % dimension).map((x, j) => x + 0.01 * ((i * 7 + j) % 5)));
    const form = adapterForm({ libraryId: library.id, name: `domain-${i}`, files, centroid });
    const reply = await fetch(`${stack.url}/v1/adapters`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
    if (reply.status !== 201) throw new Error(`adapter ${i}: ${reply.status} ${await reply.text()}`);
  }
  // A camera-sized frame would be mostly base64 and PNG work; a 320x240 noise PNG (≈230 KB) is a fair middle.
  const images = await Promise.all([1, 2, 3, 4].map((seed) => noisePng(320, 240, seed)));
  const bodies = images.map((image) => JSON.stringify({ libraryId: library.id, image: Buffer.from(image).toString("base64"), classNames: CLASSES }));

  // The API under test runs in a process of its own (as deployed), started cold from the environment;
  // the clients and the reference endpoint stay in this one. The models go to the bucket first, as
  // deployed (the process downloads them).
  const prefix = "models/clip-vision/";
  const modelDir = stack.models.dir;
  for (const file of [MODEL_PACK_MANIFEST, ...Object.values(MODEL_FILE_NAMES)]) await stack.store.put(`${prefix}${file}`, new Uint8Array(await readFile(path.join(modelDir, file))));

  async function startApiProcess() {
    const spawned = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./api-cold-start.ts", import.meta.url))], {
      env: { ...process.env, ...stack.env, SEMLA_MODELS_PREFIX: prefix, SEMLA_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    // Its stdout carries its JSON logs too: wait for the line that says where it listens (the rest are read and dropped).
    const lines = createInterface({ input: child.stdout! });
    type Listening = { url: string; timeOrigin: number; importedMs: number; listeningMs: number };
    let started: Listening | undefined;
    while (!started) {
      const [line] = (await once(lines, "line")) as [string];
      const parsed = JSON.parse(line) as Partial<Listening>;
      if (parsed.url) started = parsed as Listening;
    }
    const requestStarted = Date.now();
    const reply = await fetch(`${started.url}/v1/segment`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: bodies[0] });
    const answer = await reply.text();
    const answered = Date.now();
    if (reply.status !== 200) throw new Error(`cold segment: ${reply.status} ${answer}`);
    const cold = {
      processToAnswerMs: answered - started.timeOrigin,
      importsMs: started.importedMs,
      servicesMs: started.listeningMs - started.importedMs,
      firstRequestMs: answered - requestStarted,
      spawnToAnswerMs: answered - spawned,
    };
    const stop = async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    };
    return { url: started.url, cold, stop };
  }

  const cold = [];
  const api = await startApiProcess();
  cold.push(api.cold);
  async function segmentOnce(i: number): Promise<Sample> {
    const started = performance.now();
    const reply = await fetch(`${api.url}/v1/segment`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: bodies[i % bodies.length] });
    const body = (await reply.json()) as { timings: { stages: Record<string, number> } };
    const latencyMs = performance.now() - started;
    if (reply.status !== 200) throw new Error(`segment: ${reply.status} ${JSON.stringify(body)}`);
    return { latencyMs, embedMs: body.timings.stages.embed ?? 0, inferMs: body.timings.stages.infer ?? 0, totalMs: body.timings.stages.total ?? 0 };
  }

  async function inProcessOnce(i: number): Promise<number> {
    const started = performance.now();
    await stack.services.pipeline.segment({ tenant, libraryId: library.id, image: images[i % images.length]!, classNames: CLASSES });
    return performance.now() - started;
  }

  async function run(concurrency: number): Promise<Sample[]> {
    for (let i = 0; i < 20; i++) await segmentOnce(i); // warm: caches, JIT, connections
    const samples: Sample[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < REQUESTS) samples.push(await segmentOnce(next++));
      }),
    );
    return samples;
  }

  const warm = [];
  for (const concurrency of [1, 8]) {
    const samples = await run(concurrency);
    const baseline: number[] = [];
    for (let i = 0; i < Math.min(REQUESTS, 120); i++) baseline.push(await inProcessOnce(i));
    warm.push({
      concurrency,
      requests: samples.length,
      overheadMs: summary(samples.map((s) => s.latencyMs - s.embedMs - s.inferMs)),
      // Split of the overhead: retrieve + load + fuse + transport inside the pipeline, and the rest (HTTP, auth, JSON, base64, logs).
      pipelineStagesMs: summary(samples.map((s) => s.totalMs - s.embedMs - s.inferMs)),
      httpLayerMs: summary(samples.map((s) => s.latencyMs - s.totalMs)),
      latencyMs: summary(samples.map((s) => s.latencyMs)),
      embedMs: summary(samples.map((s) => s.embedMs)),
      inferMs: summary(samples.map((s) => s.inferMs)),
      inProcessMs: summary(baseline),
    });
    console.error(`warm, ${concurrency} client(s): done`);
  }

  await api.stop();
  for (let run = 0; run < 2; run++) {
    const again = await startApiProcess();
    cold.push(again.cold);
    await again.stop();
  }

  console.log(
    `\nAPI overhead on loopback = segment latency − embed − infer (endpoint incl. transport); ${REQUESTS} warm requests, ${ADAPTERS} adapters, 320x240 PNG, ${CLASSES.length} classes, tiny models\n`,
  );
  const f = (x: number) => x.toFixed(2);
  console.log(
    table(
      [
        "clients",
        "overhead p50 ms",
        "overhead p99 ms",
        "of which retrieve+load+fuse p50",
        "of which HTTP+API p50",
        "latency p50",
        "latency p99",
        "embed p50",
        "infer p50",
        "in-process pipeline p50",
        "HTTP / in-process (p50)",
      ],
      warm.map((w) => [
        String(w.concurrency),
        f(w.overheadMs.p50),
        f(w.overheadMs.p99),
        f(w.pipelineStagesMs.p50),
        f(w.httpLayerMs.p50),
        f(w.latencyMs.p50),
        f(w.latencyMs.p99),
        f(w.embedMs.p50),
        f(w.inferMs.p50),
        f(w.inProcessMs.p50),
        (w.latencyMs.p50 / w.inProcessMs.p50).toFixed(2),
      ]),
    ),
  );
  console.log(`\nCold start (fresh process: PostgreSQL, bucket, models downloaded from it, SageMaker endpoint), ${cold.length} runs\n`);
  console.log(
    table(
      ["run", "process start → first answer ms", "imports ms", "services ms", "first request ms", "spawn → answer ms (incl. tsx)"],
      cold.map((c, i) => [String(i + 1), c.processToAnswerMs.toFixed(0), c.importsMs.toFixed(0), c.servicesMs.toFixed(0), c.firstRequestMs.toFixed(0), c.spawnToAnswerMs.toFixed(0)]),
    ),
  );
  await writeResult("api", { requests: REQUESTS, adapters: ADAPTERS, warm, cold });
} finally {
  await stack.close();
  await s3.close();
  await postgres.release();
}

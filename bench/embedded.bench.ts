/**
 * Embedded segment latency: the services the embedded default runs (PGlite + pgvector, the
 * filesystem store, the local backend, tiny generated models) and pipeline.segment in-process,
 * warm, one request at a time: p50/p99 of the whole call, of its stages, and of its overhead (the
 * call less its embed and infer stages: retrieval, loading, fusion, delivery). 16 adapters, the
 * default plan (semla, k 5, cat), 320x240 noise PNG, 6 classes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServices, parseConfig } from "@semla/api";
import { axis, BASE_MODEL, noisePng, tinyAdapterFiles } from "@semla/api/testing";
import { defaultModelDir, ensureGeneratedPack } from "@semla/models";
import { registerAdapter } from "@semla/registry";
import { percentile, writeResult } from "./stats.js";

const ADAPTERS = 16;
const REQUESTS = Number(process.env.SEMLA_BENCH_EMBEDDED_REQUESTS ?? 200);
const CLASSES = ["road", "sky", "building", "vegetation", "car", "person"];

const dir = await mkdtemp(path.join(tmpdir(), "semla-embedded-bench-"));
const models = await ensureGeneratedPack(defaultModelDir("tiny"), "tiny");
const services = await createServices(parseConfig({ SEMLA_DATA_DIR: dir, SEMLA_LOG_LEVEL: "error" }), { models });
try {
  const tenant = "bench";
  const dimension = models.imageEncoder.dimension;
  const library = await services.index.createLibrary({ tenant, name: "bench", baseModelId: BASE_MODEL, embeddingModelId: "clip-tiny", dimension, metric: "euclidean" });
  for (let i = 0; i < ADAPTERS; i++) {
    const files = tinyAdapterFiles(models, 100 + i, 4);
    const centroid = Float32Array.from(axis(dimension, i % dimension).map((x, j) => x + 0.01 * ((i * 7 + j) % 5)));
    await registerAdapter({ index: services.index, store: services.store }, { tenant, libraryId: library.id, name: `domain-${i}`, config: files.config, weights: files.weights, centroid });
  }
  const images = await Promise.all([1, 2, 3, 4].map((seed) => noisePng(320, 240, seed)));
  const segment = (i: number) => services.pipeline.segment({ tenant, libraryId: library.id, image: images[i % images.length]!, classNames: CLASSES });
  for (let i = 0; i < 20; i++) await segment(i); // warm: caches, JIT, workers
  const latencies: number[] = [];
  const overheads: number[] = [];
  const stages = new Map<string, number[]>();
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const result = await segment(i);
    const latency = performance.now() - started;
    latencies.push(latency);
    overheads.push(latency - (result.timings.stages.embed ?? 0) - (result.timings.stages.infer ?? 0));
    for (const [stage, ms] of Object.entries(result.timings.stages)) stages.set(stage, [...(stages.get(stage) ?? []), ms]);
  }
  const summary = (values: readonly number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  const result = { requests: REQUESTS, adapters: ADAPTERS, latencyMs: summary(latencies), overheadMs: summary(overheads), stagesMs: Object.fromEntries([...stages].map(([k, v]) => [k, summary(v)])) };
  console.log(
    `\nembedded pipeline.segment, ${REQUESTS} warm requests: p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms; overhead (less embed and infer) p50 ${result.overheadMs.p50.toFixed(3)} ms, p99 ${result.overheadMs.p99.toFixed(3)} ms`,
  );
  for (const [stage, s] of Object.entries(result.stagesMs)) console.log(`  ${stage.padEnd(10)} p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms`);
  await writeResult("embedded", result);
} finally {
  await services.close();
  await rm(dir, { recursive: true, force: true });
}

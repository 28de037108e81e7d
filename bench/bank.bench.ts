/**
 * Bank mode (issue 15): endpoint throughput with a different plan per image — k = 5 adapters out of a
 * library of 20, rank 8 each, cat weights — through the endpoint app (envelope in, JSON out, in
 * process), at batch 1 (one request at a time) and batch 8 (8 concurrent requests), for:
 * - bank: the library's bank session, a plan of (library, generation, indices, weights) per request,
 *   requests batched within the window (2 ms; 0 at batch 1);
 * - fused: today's path, the plan's cat manifest resolved per request (sources cached, fused anew:
 *   every plan differs) and fed to the LoRA-ready segmenter;
 * - base: the same segmenter built with no LoRA at all, one image per run at batch 1 and batched
 *   like the bank at batch 8 (the physical limit).
 * The model is a CPU-sized stand-in for CAT-Seg: the generated b16 pack's segmenter (224 px, ViT
 * width 384, 6 blocks, 36 LoRA modules), one worker of 2 threads for every path. Also: adapter bytes
 * moved and fusion per request in steady state (store reads, adapter-cache misses, LoRA feed bytes),
 * the bank's build time and memory for this library, and stacking a bank of 20 and 100 adapters of
 * CAT-Seg-L's shapes (214 modules, rank 8: core's CATSEG_L_MODULES).
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { type AdapterSource, catManifestSha256, createAdapters } from "@semla/adapters";
import { countingStoreWith, sourcesOf } from "@semla/adapters/testing";
import { table } from "@semla/cli/format";
import { CATSEG_L_MODULES, createPrng, fusion, type LoraAdapter, randomAdapter } from "@semla/core";
import { bankBuilder, createEndpointApp, createEndpointBanks } from "@semla/endpoint";
import { BankSegmenter, BankSessions, bankManifestKey, decodeInferenceResponse, encodeInvocation, INVOCATION_CONTENT_TYPE, type Invocation, OnnxSegmenter } from "@semla/inference";
import { encodeRaw, noiseRgb } from "@semla/inference/testing";
import { bankBytes, ensureGeneratedPack, onnx, stackLoraBank } from "@semla/models";
import { median, writeResult } from "./stats.js";

const LIBRARY = 20;
const K = 5;
const RANK = 8;
const THREADS = 2;
const ROUNDS = 3;
const CLASSES = ["road", "sky", "car", "person", "building", "vegetation"];

const pack = await ensureGeneratedPack(path.resolve(".cache/models/b16"), "b16");
const spec = pack.segmenter!;
const textSpec = pack.textEncoder!;
const modules = spec.loraModules.map((m) => ({ name: m.name, inFeatures: m.inFeatures, outFeatures: m.outFeatures }));
const adaptersList: LoraAdapter[] = Array.from({ length: LIBRARY }, (_, i) => randomAdapter({ modules, rank: RANK, seed: 100 + i, baseModel: spec.id }));
const library = sourcesOf(adaptersList, new Array(LIBRARY).fill(1));
const store = await countingStoreWith(library.sources, library.files);
await store.put(
  bankManifestKey("lib-bench", 1),
  new TextEncoder().encode(JSON.stringify({ library: "lib-bench", generation: 1, adapters: library.sources.map(({ sha256, objectKey, config }) => ({ sha256, objectKey, config })) })),
);

// Plans: 5 distinct adapters each, weights summing to 1, a new plan for every request.
const random = createPrng(7, "plans");
function plan(): { indices: number[]; weights: number[] } {
  const indices: number[] = [];
  while (indices.length < K) {
    const i = Math.floor(random.next() * LIBRARY);
    if (!indices.includes(i)) indices.push(i);
  }
  const raw = indices.map(() => 0.2 + random.next());
  const sum = raw.reduce((a, b) => a + b, 0);
  return { indices, weights: raw.map((w) => w / sum) };
}
const images = await Promise.all(Array.from({ length: 8 }, (_, i) => encodeRaw(noiseRgb(320, 240, i + 1), 320, 240, 3, "png")));

// The three segmenters, one worker of 2 threads each.
const adapters = createAdapters({ store });
const loraReady = await OnnxSegmenter.fromPack(pack, { workers: 1, intraOpThreads: THREADS });
const baseGraph = onnx.encodeModel(onnx.buildSegmentationModel(onnx.MODEL_PRESETS.b16.segmentation, onnx.MODEL_PRESETS.b16.seeds.segmentation, { loraInputs: false }));
const tmp = await mkdtemp(path.join(tmpdir(), "semla-bank-bench-"));
await writeFile(path.join(tmp, "base.onnx"), baseGraph);
const baseSpec = { ...spec, path: path.join(tmp, "base.onnx"), loraModules: [] };
const base = await OnnxSegmenter.create({ segmenter: baseSpec, textEncoder: textSpec, workers: 1, intraOpThreads: THREADS });
const baseBatched = await BankSegmenter.create({ segmenter: baseSpec, model: baseGraph, size: 1, planInputs: false, text: loraReady.classText, intraOpThreads: THREADS });

// Bank sessions: the real builder (manifest → adapters → stacked → baked → loaded), timed.
const build = bankBuilder({ store, adapters, segmenter: spec, text: loraReady.classText });
let buildMs = 0;
let buildRssMb = 0;
let sessionBytes = 0;
let libraryBankBytes = 0;
const makeBanks = (windowMs: number) => {
  const sessions = new BankSessions<BankSegmenter>({
    maxBytes: 8 * 1024 ** 3,
    build: async (l, g) => {
      const rss = process.memoryUsage().rss;
      const t = performance.now();
      const built = await build(l, g);
      buildMs = performance.now() - t;
      buildRssMb = (process.memoryUsage().rss - rss) / 1e6;
      sessionBytes = built.bytes;
      libraryBankBytes = built.bankBytes;
      return built;
    },
  });
  return { sessions, banks: createEndpointBanks({ sessions, windowMs, maxBatch: 8 }) };
};
const banked1 = makeBanks(0);
banked1.sessions.ready("lib-bench", 1);
await banked1.sessions.settled("lib-bench");
const firstBuild = { ms: buildMs, rssMb: buildRssMb, sessionBytes, bankBytes: libraryBankBytes };
const banked8 = makeBanks(2);
banked8.sessions.ready("lib-bench", 1);
await banked8.sessions.settled("lib-bench");
// The base model batched, behind the same endpoint path (its "bank" takes no plan).
const baseSessions = new BankSessions<BankSegmenter>({ maxBytes: 8 * 1024 ** 3, build: async () => ({ session: baseBatched, bytes: baseGraph.byteLength }) });
baseSessions.ready("base", 1);
await baseSessions.settled("base");
const baseBanks = createEndpointBanks({ sessions: baseSessions, windowMs: 2, maxBatch: 8 });

const apps = {
  base1: createEndpointApp({ segmenter: base, adapters, ready: () => true }),
  base8: createEndpointApp({ segmenter: base, adapters, banks: baseBanks, ready: () => true }),
  fused: createEndpointApp({ segmenter: loraReady, adapters, ready: () => true }),
  bank1: createEndpointApp({ segmenter: loraReady, adapters, banks: banked1.banks, ready: () => true }),
  bank8: createEndpointApp({ segmenter: loraReady, adapters, banks: banked8.banks, ready: () => true }),
};
type Mode = "base" | "fused" | "bank";

function request(mode: Mode, image: Uint8Array, batch: number): Invocation {
  const p = plan();
  if (mode === "base") return { image, classNames: CLASSES, adapter: { kind: "none" }, ...(batch > 1 && { bank: { library: "base", generation: 1, indices: [0], weights: [0] } }) };
  if (mode === "bank") return { image, classNames: CLASSES, adapter: { kind: "none" }, bank: { library: "lib-bench", generation: 1, ...p } };
  const sources: AdapterSource[] = p.indices.map((i, j) => ({ ...library.sources[i]!, weight: p.weights[j]! }));
  return { image, classNames: CLASSES, adapter: { kind: "cat", sha256: catManifestSha256(sources), sources } };
}

let requestBytes = { base: 0, fused: 0, bank: 0 };
async function invoke(mode: Mode, batch: number, image: Uint8Array): Promise<void> {
  const app = mode === "fused" ? apps.fused : mode === "base" ? (batch > 1 ? apps.base8 : apps.base1) : batch > 1 ? apps.bank8 : apps.bank1;
  const body = encodeInvocation(request(mode, image, batch));
  requestBytes = { ...requestBytes, [mode]: body.byteLength - image.byteLength };
  const response = await app.request("/invocations", { method: "POST", headers: { "content-type": INVOCATION_CONTENT_TYPE }, body });
  if (response.status !== 200) throw new Error(`${mode}: ${response.status} ${await response.text()}`);
  const answer = decodeInferenceResponse(new Uint8Array(await response.arrayBuffer()));
  const expected = mode === "base" ? "none" : mode === "bank" ? "bank" : "cat";
  if (answer.adapter.kind !== (mode === "base" && batch > 1 ? "bank" : expected)) throw new Error(`${mode}: served as ${answer.adapter.kind}`);
}

/** images/s of `mode` at `batch` (batch 1: sequential requests; 8: rounds of 8 concurrent requests). */
async function throughput(mode: Mode, batch: number, requests: number): Promise<number> {
  const t = performance.now();
  for (let done = 0; done < requests; done += batch) await Promise.all(images.slice(0, batch).map((image) => invoke(mode, batch, image)));
  return (requests / (performance.now() - t)) * 1000;
}

// Warm up every path (text cache, sessions, the adapter cache's sources).
for (const mode of ["base", "fused", "bank"] as const) for (const batch of [1, 8]) await throughput(mode, batch, batch);

// Steady state: what each bank request reads and fuses (store reads, cache misses), over one round.
const reads = store.calls.get;
const cache = adapters.stats();
await throughput("bank", 8, 8);
const bankSteady = { storeReads: store.calls.get - reads, cacheMisses: adapters.stats().misses - cache.misses };
const fusedReads = store.calls.get;
const fusedCache = adapters.stats();
await throughput("fused", 8, 8);
const fusedSteady = { storeReads: store.calls.get - fusedReads, cacheMisses: adapters.stats().misses - fusedCache.misses };
// The fused path's per-request fusion (5 rank-8 sources, cat) and the LoRA feeds it moves to the worker.
const fuseTimes: number[] = [];
for (let i = 0; i < 10; i++) {
  const p = plan();
  const t = performance.now();
  fusion.fuseAdapters(
    p.indices.map((index, j) => ({ adapter: adaptersList[index]!, weight: p.weights[j]! })),
    { combination: "cat" },
  );
  fuseTimes.push(performance.now() - t);
}
const feedBytes = modules.reduce((sum, m) => sum + 4 * K * RANK * (m.inFeatures + m.outFeatures), 0);

// Rounds interleave the modes, so a slow moment of the machine falls on all of them.
const runs: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const batch of [1, 8]) {
    for (const mode of ["base", "fused", "bank"] as const) {
      const key = `${mode}@${batch}`;
      const value = await throughput(mode, batch, batch === 1 ? 8 : 16);
      runs[key] = [...(runs[key] ?? []), value];
    }
  }
}
const ips = Object.fromEntries(Object.entries(runs).map(([key, values]) => [key, median(values)]));

// Stacking banks of CAT-Seg-L-shaped adapters (rank 8, 214 modules): 5 distinct random adapters, cycled.
const catsegAdapters = Array.from({ length: 5 }, (_, i) => randomAdapter({ modules: CATSEG_L_MODULES, rank: RANK, seed: 900 + i }));
const catseg: { adapters: number; stackMs: number; bankBytes: number; rssMb: number }[] = [];
for (const n of [20, 100]) {
  globalThis.gc?.();
  const rss = process.memoryUsage().rss;
  const t = performance.now();
  const bank = stackLoraBank(Array.from({ length: n }, (_, i) => catsegAdapters[i % 5]!));
  const stackMs = performance.now() - t;
  catseg.push({ adapters: n, stackMs, bankBytes: bankBytes(bank), rssMb: (process.memoryUsage().rss - rss) / 1e6 });
}

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", memoryGb: Math.round(totalmem() / 1e9), node: process.version, platform: process.platform, device: "cpu" };
console.log(
  `Bank mode: the b16 pack's segmenter (CPU stand-in for CAT-Seg), library of ${LIBRARY} rank-${RANK} adapters, k = ${K}, a new plan per image; ${machine.cpu} × ${machine.cpus}, ${THREADS} threads\n`,
);
console.log(
  table(
    ["path", "batch 1 images/s", "batch 8 images/s", "× base (b1)", "× base (b8)"],
    (["base", "fused", "bank"] as const).map((mode) => [
      mode,
      ips[`${mode}@1`]!.toFixed(1),
      ips[`${mode}@8`]!.toFixed(1),
      (ips[`${mode}@1`]! / ips["base@1"]!).toFixed(2),
      (ips[`${mode}@8`]! / ips["base@8"]!).toFixed(2),
    ]),
  ),
);
console.log(
  `\nper request, steady state: bank ${bankSteady.storeReads} store reads, ${bankSteady.cacheMisses} adapters built/fused, 0 LoRA feed bytes, ${requestBytes.bank} envelope bytes besides the image;` +
    ` fused ${fusedSteady.cacheMisses / 8} adapters fused (median ${median(fuseTimes).toFixed(1)} ms each), ${(feedBytes / 1e6).toFixed(2)} MB of LoRA feeds, ${requestBytes.fused} envelope bytes besides the image`,
);
console.log(
  `bank build (this library): ${firstBuild.ms.toFixed(0)} ms, session ${(firstBuild.sessionBytes / 1e6).toFixed(0)} MB (bank ${(firstBuild.bankBytes / 1e6).toFixed(1)} MB), RSS +${firstBuild.rssMb.toFixed(0)} MB`,
);
for (const c of catseg) console.log(`CAT-Seg-L-shaped bank of ${c.adapters}: stacked in ${c.stackMs.toFixed(0)} ms, ${(c.bankBytes / 1e6).toFixed(0)} MB (RSS +${c.rssMb.toFixed(0)} MB)`);

const result = {
  command: "npx tsx --expose-gc bench/bank.bench.ts (scripts/bench.sh runs every bench)",
  date: new Date().toISOString(),
  machine,
  model: { pack: "b16 (generated)", segmenter: spec.id, imageSize: spec.imageSize, loraModules: modules.length },
  library: LIBRARY,
  k: K,
  rank: RANK,
  threads: THREADS,
  imagesPerSecond: ips,
  runs,
  ratios: {
    bankVsBase: { batch1: ips["bank@1"]! / ips["base@1"]!, batch8: ips["bank@8"]! / ips["base@8"]! },
    bankVsFused: { batch1: ips["bank@1"]! / ips["fused@1"]!, batch8: ips["bank@8"]! / ips["fused@8"]! },
    fusedVsBase: { batch1: ips["fused@1"]! / ips["base@1"]!, batch8: ips["fused@8"]! / ips["base@8"]! },
  },
  steadyState: {
    bank: { storeReadsPerRequest: bankSteady.storeReads / 8, fusionsPerRequest: bankSteady.cacheMisses / 8, loraFeedBytesPerRequest: 0, envelopeBytesBesidesImage: requestBytes.bank },
    fused: {
      storeReadsPerRequest: fusedSteady.storeReads / 8,
      fusionsPerRequest: fusedSteady.cacheMisses / 8,
      fusionMsMedian: median(fuseTimes),
      loraFeedBytesPerRequest: feedBytes,
      envelopeBytesBesidesImage: requestBytes.fused,
    },
  },
  bankBuild: firstBuild,
  catsegLBanks: catseg,
};
await writeResult("bank", result);
await Promise.all([banked1.banks.close(), banked8.banks.close(), baseBanks.close(), loraReady.close(), base.close()]);
await store.remove();
await rm(tmp, { recursive: true, force: true });

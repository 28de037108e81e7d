import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAdapters, mixtureSha256 } from "@semla/adapters";
import { fusion, type LoraAdapter, peft, randomAdapter, routing } from "@semla/core";
import { ClipEmbedder, createLocalBackend, type InferenceBackend, type InferenceRequest, OnnxSegmenter } from "@semla/inference";
import { ensureGeneratedPack, type ModelPack } from "@semla/models";
import { type AdapterIndex, type AdapterRecord, type LibraryRecord, registerAdapter } from "@semla/registry";
import { createTestPgliteIndex } from "@semla/registry/testing";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOptions, type RouteOptionsInput, RouteOptionsSchema, type SegmentOptionsInput, SegmentOptionsSchema } from "./options.js";
import { createPipeline, type Pipeline } from "./pipeline.js";

// A real pipeline on the embedded stack: PGlite + pgvector, the filesystem store, the tiny generated
// models in worker threads, and the local backend fusing through the adapters unit. Every answer is checked against
// the same computation done by hand: core routing over the centroids, core fusion over the adapters,
// and the segmenter called directly.

const TENANT = "tenant-a";
// The pipeline takes parsed options: these tests parse them as an edge does (the API's schema does the same).
const routeOptions = (input: RouteOptionsInput) => parseOptions(RouteOptionsSchema, input);
const segmentOptions = (input: SegmentOptionsInput) => parseOptions(SegmentOptionsSchema, input);
const CLASSES = ["sky", "road", "car"];
let dir: string;
let models: ModelPack;
let index: AdapterIndex;
let store: BlobStore;
/** Every get and put on the store, by key. */
const storeCalls: { op: "get" | "put"; key: string }[] = [];
let embedder: ClipEmbedder;
let segmenter: OnnxSegmenter;
let backend: InferenceBackend;
let pipeline: Pipeline;
let library: LibraryRecord;
let image: Uint8Array;
let embedding: Float32Array;
const adapters = new Map<string, { record: AdapterRecord; adapter: LoraAdapter }>();
const requests: InferenceRequest[] = [];

async function rawImage(seed: number): Promise<Uint8Array> {
  const width = 40;
  const height = 30;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101 + ((i / 90) | 0) * 13) % 256;
  return new Uint8Array(
    await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** A centroid at a chosen euclidean distance from the query embedding, along one axis. */
function centroidAt(distance: number, axis: number): Float32Array {
  const c = Float32Array.from(embedding);
  c[axis] = (c[axis] as number) + distance;
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "semla-pipeline-"));
  models = await ensureGeneratedPack(path.join(dir, "models"), "tiny");
  index = await createTestPgliteIndex();
  const fsStore = createFsBlobStore({ root: path.join(dir, "blobs") });
  store = {
    ...fsStore,
    get: (key, range) => (storeCalls.push({ op: "get", key }), fsStore.get(key, range)),
    put: (key, body, options) => (storeCalls.push({ op: "put", key }), fsStore.put(key, body, options)),
  };
  embedder = await ClipEmbedder.fromPack(models, { workers: 1 });
  segmenter = await OnnxSegmenter.fromPack(models, { workers: 1 });
  const inner = createLocalBackend({ segmenter, adapters: createAdapters({ store }) });
  backend = { kind: inner.kind, close: () => inner.close(), infer: (request, options) => (requests.push(request), inner.infer(request, options)) };
  pipeline = createPipeline({ index, embedder, backend, embeddingModelId: "clip-tiny" });

  image = await rawImage(1);
  [embedding] = (await embedder.embed([image])) as [Float32Array];
  library = await index.createLibrary({ tenant: TENANT, name: "world", baseModelId: "seg-tiny", embeddingModelId: "clip-tiny", dimension: embedder.dimension, metric: "euclidean" });
  const targets = models.segmenter!.loraModules;
  // Distances 0.10, 0.12, 0.20, 0.50: softmax(1/d / 0.05) gives the first two most of the weight.
  const layout = [
    { name: "fog", distance: 0.1, axis: 0, rank: 2 },
    { name: "night", distance: 0.12, axis: 1, rank: 4 },
    { name: "rain", distance: 0.2, axis: 2, rank: 2 },
    { name: "snow", distance: 0.5, axis: 3, rank: 3 },
  ];
  for (const [i, spec] of layout.entries()) {
    const adapter = randomAdapter({ modules: targets, rank: spec.rank, seed: 40 + i, std: 0.4, baseModel: "seg-tiny" });
    const files = peft.writePeftAdapter(adapter);
    const { adapter: record } = await registerAdapter(
      { index, store },
      { tenant: TENANT, libraryId: library.id, name: spec.name, config: files.config, weights: files.weights, centroid: centroidAt(spec.distance, spec.axis) },
    );
    adapters.set(spec.name, {
      record,
      adapter: await peft.readLoraAdapter({ config: files.config, weights: { size: files.weights.byteLength, read: async (o, l) => files.weights.subarray(o, o + l) } }),
    });
  }
}, 120_000);

afterAll(async () => {
  await embedder?.close();
  await backend?.close();
  await index?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const byName = (name: string) => adapters.get(name)!;
const candidates = () => [...adapters.values()].map(({ record }) => ({ id: record.id, centroid: record.centroid }));

/** The segmenter called directly with the adapter fused by hand. */
async function direct(adapter: LoraAdapter | null) {
  const { maskPng, width, height, scores } = await segmenter.segment({ image, classNames: CLASSES, adapter });
  return { maskPng, width, height, scores };
}

describe("route", () => {
  it("gives the plan core routing computes over the same centroids, with names for the explanation", async () => {
    const result = await pipeline.route({ tenant: TENANT, libraryId: library.id, query: { image } });
    const expected = routing.route(embedding, candidates(), routing.parseRoutingOptions({ k: 5, temperature: 0.05, metric: "euclidean" }));
    expect(result.plan.adapters.map((a) => a.id)).toEqual(expected.adapters.map((a) => a.id));
    for (const [i, planned] of result.plan.adapters.entries()) {
      expect(planned.weight).toBeCloseTo(expected.adapters[i]!.weight, 5);
      expect(planned.distance).toBeCloseTo(expected.adapters[i]!.distance!, 5);
    }
    expect(result.contributions.map((c) => [c.name, c.rank])).toEqual([
      ["fog", 1],
      ["night", 2],
      ["rain", 3],
      ["snow", 4],
    ]);
    expect(Array.from(result.embedding)).toEqual(Array.from(embedding));
    expect(Object.keys(result.timings)).toEqual(["embed", "retrieve", "total"]);
  });

  it("takes an embedding instead of an image, and leaves excluded adapters out by id or name", async () => {
    const result = await pipeline.route({ tenant: TENANT, libraryId: library.id, query: { embedding }, options: routeOptions({ k: 2, exclude: ["fog", byName("rain").record.id] }) });
    expect(result.contributions.map((c) => c.name)).toEqual(["night", "snow"]);
    expect(result.plan.exclude).toEqual(["fog", byName("rain").record.id]);
    expect(Object.keys(result.timings)).toEqual(["retrieve", "total"]);
  });

  it("measures the other metric exactly over every centroid", async () => {
    const result = await pipeline.route({ tenant: TENANT, libraryId: library.id, query: { embedding }, options: routeOptions({ metric: "cosine", k: 3, temperature: 0.1 }) });
    const expected = routing.route(embedding, candidates(), routing.parseRoutingOptions({ k: 3, temperature: 0.1, metric: "cosine" }));
    expect(result.plan.metric).toBe("cosine");
    expect(result.plan.adapters.map((a) => a.id)).toEqual(expected.adapters.map((a) => a.id));
    result.plan.adapters.forEach((a, i) => {
      expect(a.weight).toBeCloseTo(expected.adapters[i]!.weight, 6);
    });
  });

  it("refuses unknown libraries, other tenants' libraries, wrong dimensions and bad options", async () => {
    await expect(pipeline.route({ tenant: "tenant-b", libraryId: library.id, query: { embedding } })).rejects.toMatchObject({ code: "registry.unknown-library" });
    await expect(pipeline.route({ tenant: TENANT, libraryId: library.id, query: { embedding: new Float32Array(3) } })).rejects.toMatchObject({
      code: "pipeline.embedding-dimension",
      details: { expected: embedder.dimension, actual: 3 },
    });
    // Options are refused where they are parsed, before the pipeline is called.
    expect(() => routeOptions({ k: 0 })).toThrow(expect.objectContaining({ code: "pipeline.invalid-options" }));
    expect(() => routeOptions({ topK: 3 } as never)).toThrow(/topK/);
  });

  it("refuses an unknown library before the image, though both are read at once", async () => {
    const notAnImage = new TextEncoder().encode("not an image");
    await expect(pipeline.route({ tenant: "tenant-b", libraryId: library.id, query: { image: notAnImage } })).rejects.toMatchObject({ code: "registry.unknown-library" });
    await expect(pipeline.segment({ tenant: "tenant-b", libraryId: library.id, image: notAnImage, classNames: CLASSES })).rejects.toMatchObject({ code: "registry.unknown-library" });
    await expect(pipeline.segment({ tenant: TENANT, libraryId: library.id, image: notAnImage, classNames: CLASSES })).rejects.toMatchObject({ code: expect.stringMatching(/^image\./) });
  });

  it("refuses a library indexed with another embedding model", async () => {
    const other = await index.createLibrary({ tenant: TENANT, name: "other", baseModelId: "seg-tiny", embeddingModelId: "clip-b16", dimension: embedder.dimension, metric: "euclidean" });
    await expect(pipeline.route({ tenant: TENANT, libraryId: other.id, query: { embedding } })).rejects.toMatchObject({ code: "pipeline.embedding-model-mismatch" });
  });
});

describe("segment", () => {
  it("semla: answers as the segmenter does with the plan's adapters fused by hand (cat)", async () => {
    const result = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ k: 3 }) });
    expect(result.contributions.map((c) => c.name)).toEqual(["fog", "night", "rain"]);
    const weights = result.plan!.adapters.map((a) => a.weight);
    expect(weights.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 6);
    const byHand = fusion.fuseAdapters(
      ["fog", "night", "rain"].map((name, i) => ({ adapter: byName(name).adapter, weight: weights[i]! })),
      { combination: "cat" },
    );
    expect(result).toMatchObject({ ...(await direct(byHand)), mode: "semla", fusion: { options: { combination: "cat" }, at: "api", cached: false } });
    // The local backend fuses in process: nothing travels, so there is no transport stage.
    expect(Object.keys(result.timings.stages)).toEqual(["embed", "retrieve", "load", "fuse", "infer", "total"]);
    const mixture = requests.at(-1)!.mixture!;
    expect(mixture.sources.map((s) => s.sha256)).toEqual(["fog", "night", "rain"].map((name) => byName(name).record.sha256));
    expect(result.adapter).toEqual({ kind: "in-process", sha256: mixtureSha256(mixture), cached: false });
  });

  it("semla with another combination fuses with it (ties), and refuses one the adapters cannot take", async () => {
    const options = segmentOptions({ k: 2, exclude: ["night"], fusion: { combination: "ties", density: 0.5 } });
    const result = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options });
    expect(result.contributions.map((c) => c.name)).toEqual(["fog", "rain"]);
    const weights = result.plan!.adapters.map((a) => a.weight);
    const byHand = fusion.fuseAdapters(
      ["fog", "rain"].map((name, i) => ({ adapter: byName(name).adapter, weight: weights[i]! })),
      fusion.parseFusionOptions({ combination: "ties", density: 0.5 }),
    );
    expect(result).toMatchObject({ ...(await direct(byHand)), fusion: { options: { combination: "ties", density: 0.5, majoritySign: "total" }, at: "api", cached: false } });
    // fog and night have ranks 2 and 4: ties needs equal ranks.
    await expect(
      pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ k: 2, fusion: { combination: "ties", density: 0.5 } }) }),
    ).rejects.toMatchObject({ code: "fusion.rank-mismatch" });
  });

  it("local backend: no payload rule, nothing serialised or stored, each source read once", async () => {
    const local = createLocalBackend({ segmenter, adapters: createAdapters({ store }) });
    const fresh = createPipeline({ index, embedder, backend: { kind: local.kind, infer: local.infer, close: async () => {} } });
    storeCalls.length = 0;
    const cat = await fresh.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ k: 2 }) });
    expect(cat.fusion).toEqual({ options: { combination: "cat" }, at: "api", cached: false });
    const weights = cat.plan!.adapters.map((a) => a.weight);
    expect(cat).toMatchObject(await direct(fusion.fuseAdapters(["fog", "night"].map((name, i) => ({ adapter: byName(name).adapter, weight: weights[i]! })))));
    const svd = await fresh.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ k: 2, fusion: { combination: "svd", rank: 3 } }) });
    expect(svd.adapter.kind).toBe("in-process");
    expect(svd).toMatchObject(
      await direct(
        fusion.fuseAdapters(
          ["fog", "night"].map((name, i) => ({ adapter: byName(name).adapter, weight: weights[i]! })),
          { combination: "svd", rank: 3 },
        ),
      ),
    );
    await fresh.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ k: 2, fusion: { combination: "svd", rank: 3 } }) });
    // The two sources, once each; no fused object written, none read back.
    expect(storeCalls).toEqual(["fog", "night"].map((name) => ({ op: "get", key: byName(name).record.objectKey })));
  });

  it("zeroshot: the base model alone, no embedding, no plan", async () => {
    const result = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ mode: "zeroshot" }) });
    expect(result).toMatchObject({ ...(await direct(null)), plan: null, contributions: [], fusion: null, adapter: { kind: "none" } });
    expect(Object.keys(result.timings.stages)).toEqual(["infer", "total"]);
  });

  it("adapter: one adapter by name at weight 1 (its scaling folded in), the second time from the plan cache", async () => {
    const first = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ mode: "adapter", adapter: "night" }) });
    expect(first.contributions).toEqual([{ adapterId: byName("night").record.id, name: "night", version: 1, rank: 1, distance: null, similarity: null, weight: 1 }]);
    expect(first).toMatchObject(await direct(fusion.fuseAdapters([{ adapter: byName("night").adapter, weight: 1 }])));
    const second = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ mode: "adapter", adapter: byName("night").record.id }) });
    expect(second.fusion).toEqual({ options: { combination: "cat" }, at: "api", cached: true });
    expect(second.maskPng).toEqual(first.maskPng);
  });

  it("uniform: equal weights over every adapter less the excluded, or over the k nearest", async () => {
    const all = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ mode: "uniform", exclude: ["snow"] }) });
    expect(all.contributions.map((c) => [c.name, c.weight])).toEqual([
      ["fog", 1 / 3],
      ["night", 1 / 3],
      ["rain", 1 / 3],
    ]);
    expect(all.plan!.weighting).toBe("uniform");
    const byHand = fusion.fuseAdapters(["fog", "night", "rain"].map((name) => ({ adapter: byName(name).adapter, weight: 1 / 3 })));
    expect(all).toMatchObject(await direct(byHand));
    const nearest = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ mode: "uniform", k: 2 }) });
    expect(nearest.contributions.map((c) => [c.name, c.weight])).toEqual([
      ["fog", 0.5],
      ["night", 0.5],
    ]);
  });

  it("an empty plan (everything excluded) runs zero-shot and says so", async () => {
    const result = await pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ exclude: ["fog", "night", "rain", "snow"] }) });
    expect(result.plan!.adapters).toEqual([]);
    expect(result).toMatchObject({ ...(await direct(null)), fusion: null, adapter: { kind: "none" } });
  });

  it("refuses an unknown adapter, another library's adapter, and options that do not fit the mode", async () => {
    await expect(pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: CLASSES, options: segmentOptions({ mode: "adapter", adapter: "hail" }) })).rejects.toMatchObject({
      code: "registry.unknown-adapter",
    });
    const other = await index.createLibrary({ tenant: TENANT, name: "second", baseModelId: "seg-tiny", embeddingModelId: "clip-tiny", dimension: embedder.dimension, metric: "euclidean" });
    await expect(
      pipeline.segment({ tenant: TENANT, libraryId: other.id, image, classNames: CLASSES, options: segmentOptions({ mode: "adapter", adapter: byName("fog").record.id }) }),
    ).rejects.toMatchObject({ code: "registry.unknown-adapter" });
    expect(() => segmentOptions({ mode: "adapter" })).toThrow(expect.objectContaining({ code: "pipeline.invalid-options", message: expect.stringContaining("adapter: mode adapter needs") }));
    expect(() => segmentOptions({ mode: "semla", adapter: "fog" })).toThrow(expect.objectContaining({ code: "pipeline.invalid-options" }));
    expect(() => segmentOptions({ fusion: { combination: "concat" } } as never)).toThrow(expect.objectContaining({ code: "pipeline.invalid-options" }));
  });

  it("passes the backend's refusal through (no class names)", async () => {
    await expect(pipeline.segment({ tenant: TENANT, libraryId: library.id, image, classNames: [], options: segmentOptions({ mode: "zeroshot" }) })).rejects.toMatchObject({
      code: "segment.no-classes",
    });
  });
});

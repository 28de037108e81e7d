import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "@semla/storage";
import type { AdapterRecord, LibraryRecord } from "../db/adapter-index.js";
import { registerAdapter } from "../ingest/register.js";
import { adapterFiles, axis, embeddedBackends, type Backends } from "../testing/harness.js";
import { AdapterCache } from "./adapter-cache.js";

/** Counts whole-object gets, to see which loads touch the store. */
function countingStore(store: BlobStore): BlobStore & { gets: number } {
  const counting = Object.create(store) as BlobStore & { gets: number };
  counting.gets = 0;
  counting.get = (key, range) => {
    counting.gets++;
    return store.get(key, range);
  };
  return counting;
}

describe("AdapterCache", () => {
  let backends: Backends;
  let library: LibraryRecord;
  const records: AdapterRecord[] = [];

  beforeAll(async () => {
    backends = await embeddedBackends();
    library = await backends.index.createLibrary({ tenant: "t", name: "lib", baseModelId: "catseg-test", embeddingModelId: "clip", dimension: 2, metric: "euclidean" });
    for (const seed of [1, 2, 3]) {
      const files = adapterFiles(seed);
      const { adapter } = await registerAdapter(backends, { tenant: "t", libraryId: library.id, name: `d${seed}`, config: files.config, weights: files.weights, centroid: axis(2, 0, seed) });
      records.push(adapter);
    }
  });
  afterAll(() => backends.close());

  it("parses an adapter once: warm loads do not touch the store", async () => {
    const store = countingStore(backends.store);
    const cache = new AdapterCache(store);
    const first = await cache.load(records[0]!);
    const second = await cache.load(records[0]!);
    expect(second).toBe(first);
    expect(store.gets).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1, bytes: records[0]!.byteSize });
    expect(first.modules.map((m) => m.name)).toEqual(Object.keys(records[0]!.moduleShapes).sort());
  });

  it("shares one fetch between concurrent loads of the same adapter", async () => {
    const store = countingStore(backends.store);
    const cache = new AdapterCache(store);
    const loaded = await Promise.all([cache.load(records[1]!), cache.load(records[1]!), cache.load(records[1]!)]);
    expect(new Set(loaded).size).toBe(1);
    expect(store.gets).toBe(1);
  });

  it("stays within its byte budget, evicting the least recently used adapter", async () => {
    const store = countingStore(backends.store);
    const budget = records[0]!.byteSize + records[1]!.byteSize;
    const cache = new AdapterCache(store, { maxBytes: budget });
    await cache.load(records[0]!);
    await cache.load(records[1]!);
    await cache.load(records[0]!); // 0 is now the most recent
    await cache.load(records[2]!); // evicts 1
    expect(cache.stats().bytes).toBeLessThanOrEqual(budget);
    const before = store.gets;
    await cache.load(records[0]!);
    expect(store.gets).toBe(before);
    await cache.load(records[1]!);
    expect(store.gets).toBe(before + 1);
  });

  it("refuses bytes that do not match the sha256 (integrity) and a missing object (missing-object)", async () => {
    const cache = new AdapterCache(backends.store);
    const tampered = { ...records[2]!, sha256: "f".repeat(64) };
    await expect(cache.load(tampered)).rejects.toMatchObject({ code: "registry.integrity", details: expect.objectContaining({ expected: "f".repeat(64), actual: records[2]!.sha256 }) });
    await expect(cache.load({ ...records[2]!, sha256: "e".repeat(64), objectKey: `adapters/${library.id}/${records[2]!.id}/v9/${"e".repeat(64)}.safetensors` })).rejects.toMatchObject({
      code: "registry.missing-object",
    });
  });
});

import { bytesSource, fusion, peft } from "@semla/core";
import { fusedObjectKey, sha256Hex } from "@semla/storage";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdapters } from "../adapters.js";
import { catManifestSha256 } from "../identity/names.js";
import { adapterByteSize } from "../identity/size.js";
import { type CountingStore, countingStoreWith } from "../testing/counting-store.js";
import { safetensorsOf, smallAdapter, sourceObjectKey } from "../testing/fixtures.js";
import type { AdapterReference, AdapterSource } from "../types.js";

const adapters = [smallAdapter(1), smallAdapter(2, 3), smallAdapter(3)];
const weights = [0.5, 0.3, -0.2];
const files = adapters.map((adapter) => safetensorsOf(adapter));
const sources: AdapterSource[] = adapters.map((adapter, i) => {
  const sha256 = sha256Hex(files[i]!);
  return { sha256, objectKey: sourceObjectKey(sha256, i), config: adapter.config, weight: weights[i]! };
});
const manifest: AdapterReference = { kind: "cat", sha256: catManifestSha256(sources), sources };
const expectedCat = fusion.fuseAdapters(
  adapters.map((adapter, i) => ({ adapter, weight: weights[i]! })),
  { combination: "cat" },
);

describe("resolve (an adapter reference → adapter)", () => {
  let store: CountingStore;
  beforeEach(async () => {
    store = await countingStoreWith(sources, files);
  });
  afterEach(() => store.remove());

  it("rebuilds a cat manifest into exactly fuseAdapters(..., { combination: 'cat' })", async () => {
    const resolver = createAdapters({ store });
    const resolved = await resolver.resolve(manifest);
    expect(resolved).toMatchObject({ kind: "cat", sha256: manifest.sha256, cached: false });
    expect(resolved.adapter!.config).toEqual(expectedCat.config);
    expect(resolved.adapter!.modules.map((m) => m.name)).toEqual(expectedCat.modules.map((m) => m.name));
    for (const [i, module] of resolved.adapter!.modules.entries()) {
      const expected = expectedCat.modules[i]!;
      expect({ ...module, a: [...module.a], b: [...module.b] }).toEqual({ ...expected, a: [...expected.a], b: [...expected.b] });
    }
    expect(resolved.adapter!.modules[0]!.rank).toBe(2 + 3 + 2);
    expect(store.calls.get).toBe(3);
  });

  it("serves a second resolve from its cache, reading no object", async () => {
    const resolver = createAdapters({ store });
    const first = await resolver.resolve(manifest);
    const gets = store.calls.get;
    const second = await resolver.resolve(manifest);
    expect(second).toEqual({ ...first, cached: true });
    expect(second.adapter).toBe(first.adapter);
    expect(store.calls.get).toBe(gets);
    // One cache: the three sources and the manifest's fusion.
    expect(resolver.stats()).toEqual({ hits: 1, misses: 4, entries: 4, bytes: adapterByteSize(expectedCat) + adapters.reduce((sum, a) => sum + adapterByteSize(a), 0) });
  });

  it("shares one rebuild between concurrent resolves of one manifest", async () => {
    const resolver = createAdapters({ store });
    const all = await Promise.all([resolver.resolve(manifest), resolver.resolve(manifest), resolver.resolve(manifest)]);
    expect(new Set(all.map((r) => r.adapter)).size).toBe(1);
    expect(store.calls.get).toBe(3);
  });

  it("reuses cached sources for another manifest over them", async () => {
    const resolver = createAdapters({ store });
    await resolver.resolve(manifest);
    const reweighted = sources.map((s) => ({ ...s, weight: s.weight * 2 }));
    const other = await resolver.resolve({ kind: "cat", sha256: catManifestSha256(reweighted), sources: reweighted });
    expect(other.cached).toBe(false);
    expect(store.calls.get).toBe(3);
  });

  it("refuses a manifest whose sha256 is not its own, before reading anything", async () => {
    const resolver = createAdapters({ store });
    await expect(resolver.resolve({ ...manifest, sha256: "0".repeat(64) })).rejects.toMatchObject({
      code: "adapter-reference.integrity",
      message: `the cat manifest does not match its sha256 (expected ${"0".repeat(64)}, got ${manifest.sha256})`,
    });
    expect(store.calls.get).toBe(0);
  });

  it("answers a source missing or not matching its sha256 as the service's own failure (internal)", async () => {
    const resolver = createAdapters({ store });
    const missingSha = "d".repeat(64);
    const missing = [sources[0]!, { ...sources[1]!, sha256: missingSha, objectKey: sourceObjectKey(missingSha, 9) }];
    await expect(resolver.resolve({ kind: "cat", sha256: catManifestSha256(missing), sources: missing })).rejects.toMatchObject({
      code: "adapters.missing-object",
      kind: "internal",
      details: expect.objectContaining({ sha256: missingSha }),
    });

    const tamperedSha = "e".repeat(64);
    await store.put(sourceObjectKey(tamperedSha, 8), files[2]!);
    const tampered = [{ ...sources[2]!, sha256: tamperedSha, objectKey: sourceObjectKey(tamperedSha, 8) }];
    await expect(resolver.resolve({ kind: "cat", sha256: catManifestSha256(tampered), sources: tampered })).rejects.toMatchObject({
      code: "adapters.integrity",
      kind: "internal",
      details: expect.objectContaining({ expected: tamperedSha }),
    });
  });

  it("verifies inline weights against their sha256, every time", async () => {
    const resolver = createAdapters();
    const reference: AdapterReference = { kind: "inline", sha256: sources[0]!.sha256, config: adapters[0]!.config, weights: files[0]! };
    const first = await resolver.resolve(reference);
    expect(first).toMatchObject({ kind: "inline", sha256: sources[0]!.sha256, cached: false });
    expect(first.adapter).toEqual(await peft.readLoraAdapter({ config: adapters[0]!.config, weights: bytesSource(files[0]!) }));
    expect((await resolver.resolve(reference)).cached).toBe(true);
    await expect(resolver.resolve({ ...reference, weights: files[1]! })).rejects.toMatchObject({
      code: "adapter-reference.integrity",
      details: expect.objectContaining({ expected: sources[0]!.sha256, actual: sources[1]!.sha256 }),
    });
  });

  it("reads a fused object once, verifying it; a missing or altered one is the service's own failure", async () => {
    const fused = fusion.fuseAdapters(
      [
        { adapter: adapters[0]!, weight: 1 },
        { adapter: adapters[2]!, weight: 1 },
      ],
      { combination: "linear" },
    );
    const bytes = peft.writePeftAdapter(fused).weights;
    const sha256 = sha256Hex(bytes);
    const reference: AdapterReference = { kind: "object", sha256, objectKey: fusedObjectKey(sha256), config: fused.config };
    const resolver = createAdapters({ store });
    await expect(resolver.resolve(reference)).rejects.toMatchObject({
      code: "adapters.missing-object",
      kind: "internal",
      message: `the weights of the fused adapter ${sha256} are missing from the object store (fused/${sha256}.safetensors)`,
    });

    await store.put(reference.objectKey, bytes);
    const first = await resolver.resolve(reference);
    expect(first).toMatchObject({ kind: "object", sha256, cached: false });
    expect(first.adapter!.modules.map((m) => [...m.a])).toEqual(fused.modules.map((m) => [...m.a]));
    const gets = store.calls.get;
    expect((await resolver.resolve(reference)).cached).toBe(true);
    expect(store.calls.get).toBe(gets);

    const otherSha = "f".repeat(64);
    await store.put(fusedObjectKey(otherSha), bytes);
    await expect(resolver.resolve({ ...reference, sha256: otherSha, objectKey: fusedObjectKey(otherSha) })).rejects.toMatchObject({
      code: "adapters.integrity",
      kind: "internal",
    });
  });

  it("resolves none to no adapter, and refuses by-reference adapters without a store", async () => {
    const resolver = createAdapters();
    expect(await resolver.resolve({ kind: "none" })).toEqual({ adapter: null, kind: "none", sha256: null, cached: false });
    await expect(resolver.resolve(manifest)).rejects.toMatchObject({ code: "adapter-reference.no-store" });
  });

  it("stays within its byte budget", async () => {
    const sourceBytes = adapters.reduce((sum, a) => sum + adapterByteSize(a), 0);
    const resolver = createAdapters({ store, maxBytes: adapterByteSize(expectedCat) - 1 });
    await resolver.resolve(manifest);
    expect((await resolver.resolve(manifest)).cached).toBe(false);
    // The fusion never fits; the sources do (their sum is the fusion's size, so not all at once).
    expect(resolver.stats().bytes).toBeLessThan(sourceBytes);
  });

  it("stops waiting when the caller aborts", async () => {
    const resolver = createAdapters({ store });
    const controller = new AbortController();
    controller.abort(new Error("client went away"));
    await expect(resolver.resolve(manifest, { signal: controller.signal })).rejects.toThrow("client went away");
  });
});

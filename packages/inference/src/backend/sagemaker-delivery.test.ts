import { type AdapterSource, catManifestSha256, createAdapters, type Mixture, mixtureSha256 } from "@semla/adapters";
import { type CountingStore, countingFsStore, safetensorsOf, smallAdapter, sourceObjectKey } from "@semla/adapters/testing";
import { fusion, type LoraAdapter, peft } from "@semla/core";
import { sha256Hex } from "@semla/storage";
import { afterEach, describe, expect, it } from "vitest";
import { invocationByteLength } from "../transport/envelope.js";
import { adapterReference, deliverMixture } from "./sagemaker-delivery.js";

const image = new Uint8Array(1000).fill(7);
const request = { image, classNames: ["road", "sky"], requestId: "r1" };
const a = smallAdapter(1);
const b = smallAdapter(2);
const sources: AdapterSource[] = [a, b].map((adapter, i) => {
  const sha256 = sha256Hex(safetensorsOf(adapter));
  return { sha256, objectKey: sourceObjectKey(sha256, i), config: adapter.config, weight: i === 0 ? 0.7 : 0.3 };
});
const catFused = fusion.fuseAdapters(
  [
    { adapter: a, weight: 0.7 },
    { adapter: b, weight: 0.3 },
  ],
  { combination: "cat" },
);
const linearFused = fusion.fuseAdapters(
  [
    { adapter: a, weight: 0.7 },
    { adapter: b, weight: 0.3 },
  ],
  { combination: "linear" },
);
const SMALL_LIMIT = 2000; // the image fits, no adapter does

describe("adapterReference", () => {
  let store: CountingStore | undefined;
  afterEach(async () => {
    await store?.remove();
    store = undefined;
  });

  it("is none without a fused adapter", async () => {
    expect(await adapterReference({ request, fused: null, combination: "cat", sources: [] })).toEqual({ kind: "none" });
  });

  it("sends the fused safetensors inline when they fit with the image", async () => {
    const weights = peft.writePeftAdapter(catFused).weights;
    const reference = await adapterReference({ request, fused: catFused, combination: "cat", sources });
    expect(reference).toEqual({ kind: "inline", sha256: sha256Hex(weights), config: catFused.config, weights });
  });

  it("goes inline up to exactly the limit, and by manifest one byte under it", async () => {
    const weights = peft.writePeftAdapter(catFused).weights;
    const exact = invocationByteLength({ ...request, adapter: { kind: "inline", sha256: sha256Hex(weights), config: catFused.config, weights } });
    expect((await adapterReference({ request, fused: catFused, combination: "cat", sources }, { payloadLimitBytes: exact })).kind).toBe("inline");
    expect((await adapterReference({ request, fused: catFused, combination: "cat", sources }, { payloadLimitBytes: exact - 1 })).kind).toBe("cat");
  });

  it("sends a cat fusion over the limit as the manifest of its sources", async () => {
    const reference = await adapterReference({ request, fused: catFused, combination: "cat", sources }, { payloadLimitBytes: SMALL_LIMIT });
    expect(reference).toEqual({ kind: "cat", sha256: catManifestSha256(sources), sources });
  });

  it("writes another combination over the limit once to the object store, under a key made of its sha256", async () => {
    store = await countingFsStore();
    const weights = peft.writePeftAdapter(linearFused).weights;
    const sha256 = sha256Hex(weights);
    const first = await adapterReference({ request, fused: linearFused, combination: "linear", sources }, { payloadLimitBytes: SMALL_LIMIT, store });
    expect(first).toEqual({ kind: "object", sha256, objectKey: `fused/${sha256}.safetensors`, config: linearFused.config });
    expect(await store.get(`fused/${sha256}.safetensors`)).toEqual(weights);
    expect(store.calls).toEqual({ get: 1, put: 1, head: 1 });

    // Steady state: no upload, not even a head request.
    const second = await adapterReference({ request, fused: linearFused, combination: "linear", sources }, { payloadLimitBytes: SMALL_LIMIT, store });
    expect(second).toEqual(first);
    expect(store.calls).toEqual({ get: 1, put: 1, head: 1 });
  });

  it("does not upload a fused object another process already wrote", async () => {
    store = await countingFsStore();
    const weights = peft.writePeftAdapter(linearFused).weights;
    await store.put(`fused/${sha256Hex(weights)}.safetensors`, weights);
    const copy: LoraAdapter = { config: linearFused.config, modules: linearFused.modules }; // not memoised yet
    await adapterReference({ request, fused: copy, combination: "linear", sources }, { payloadLimitBytes: SMALL_LIMIT, store });
    expect(store.calls).toEqual({ get: 0, put: 1, head: 1 });
  });

  it("refuses a non-cat fusion over the limit without an object store, and a cat fusion without sources", async () => {
    await expect(adapterReference({ request, fused: linearFused, combination: "ties", sources }, { payloadLimitBytes: SMALL_LIMIT })).rejects.toMatchObject({
      code: "transport.invalid-reference",
      message: "a ties fusion over the payload limit must go through the object store, and none is configured",
    });
    await expect(adapterReference({ request, fused: catFused, combination: "cat", sources: [] }, { payloadLimitBytes: SMALL_LIMIT })).rejects.toMatchObject({
      code: "transport.invalid-reference",
    });
  });
});

describe("deliverMixture (the SageMaker backend's choice)", () => {
  let store: CountingStore | undefined;
  afterEach(async () => {
    await store?.remove();
    store = undefined;
  });

  async function storeWithSources(): Promise<CountingStore> {
    const opened = await countingFsStore();
    for (const [i, source] of sources.entries()) await opened.put(source.objectKey, safetensorsOf([a, b][i]!));
    opened.calls.get = opened.calls.put = opened.calls.head = 0;
    return opened;
  }

  const timed = () => {
    const stages: string[] = [];
    return { stages, stage: <T>(name: string, work: () => Promise<T>) => (stages.push(name), work()) };
  };

  it("is none without a mixture", async () => {
    const delivered = await deliverMixture({ ...request, mixture: null }, { adapters: createAdapters(), payloadLimitBytes: SMALL_LIMIT });
    expect(delivered).toEqual({ invocation: { ...request, adapter: { kind: "none" } }, fusion: null });
  });

  it("fuses here and sends inline what fits (stages load, fuse, transport)", async () => {
    store = await storeWithSources();
    const mixture: Mixture = { sources, options: { combination: "cat" } };
    const { stages, stage } = timed();
    const delivered = await deliverMixture({ ...request, mixture }, { adapters: createAdapters({ store }), payloadLimitBytes: 6_000_000, stage });
    expect(delivered.invocation.adapter).toMatchObject({ kind: "inline", sha256: sha256Hex(peft.writePeftAdapter(catFused).weights) });
    expect(delivered.fusion).toEqual({ at: "api", cached: false });
    expect(stages).toEqual(["load", "fuse", "transport"]);
  });

  it("sends a cat fusion over the limit as a manifest without fusing it here; another combination as an object", async () => {
    store = await storeWithSources();
    const adapters = createAdapters({ store });
    const cat: Mixture = { sources, options: { combination: "cat" } };
    const { stages, stage } = timed();
    const manifest = await deliverMixture({ ...request, mixture: cat }, { adapters, store, payloadLimitBytes: SMALL_LIMIT, stage });
    expect(manifest).toEqual({ invocation: { ...request, adapter: { kind: "cat", sha256: catManifestSha256(sources), sources } }, fusion: { at: "backend", cached: false } });
    expect(stages).toEqual(["load"]);
    expect(adapters.stats().entries).toBe(2); // the sources, no fusion

    const linear: Mixture = { sources, options: { combination: "linear" } };
    const object = await deliverMixture({ ...request, mixture: linear }, { adapters, store, payloadLimitBytes: SMALL_LIMIT });
    const weights = peft.writePeftAdapter(linearFused).weights;
    expect(object.invocation.adapter).toEqual({ kind: "object", sha256: sha256Hex(weights), objectKey: `fused/${sha256Hex(weights)}.safetensors`, config: linearFused.config });
    expect(object.fusion).toEqual({ at: "api", cached: false });
    expect((await deliverMixture({ ...request, mixture: linear }, { adapters, store, payloadLimitBytes: SMALL_LIMIT })).fusion).toEqual({ at: "api", cached: true });
    expect(mixtureSha256(linear)).not.toBe(sha256Hex(weights)); // a mixture's name is not its weights' sha256
  });
});

import { createHash } from "node:crypto";
import { fusion, peft, type LoraAdapter } from "@semla/core";
import { afterEach, describe, expect, it } from "vitest";
import type { CatSource } from "../types.js";
import { adapterReference } from "./adapter-reference.js";
import { catManifestSha256 } from "./cat-manifest.js";
import { invocationByteLength } from "./envelope.js";
import { sha256Hex } from "@semla/storage";
import { safetensorsOf, smallAdapter, sourceObjectKey } from "./test-fixtures.js";
import { countingFsStore, type CountingStore } from "./test-store.js";

const image = new Uint8Array(1000).fill(7);
const request = { image, classNames: ["road", "sky"], requestId: "r1" };
const a = smallAdapter(1);
const b = smallAdapter(2);
const sources: CatSource[] = [a, b].map((adapter, i) => {
  const sha256 = sha256Hex(safetensorsOf(adapter));
  return { sha256, objectKey: sourceObjectKey(sha256, i), config: adapter.config, weight: i === 0 ? 0.7 : 0.3 };
});
const catFused = fusion.fuseAdapters([{ adapter: a, weight: 0.7 }, { adapter: b, weight: 0.3 }], { combination: "cat" });
const linearFused = fusion.fuseAdapters([{ adapter: a, weight: 0.7 }, { adapter: b, weight: 0.3 }], { combination: "linear" });
const SMALL_LIMIT = 2000; // the image fits, no adapter does

/** A config written out by hand, so the manifest's canonical JSON below is a specification. */
const config: peft.PeftLoraConfig = {
  peft_type: "LORA",
  r: 2,
  lora_alpha: 4,
  target_modules: ["q"],
  use_rslora: false,
  fan_in_fan_out: false,
  base_model_name_or_path: null,
  rank_pattern: {},
  alpha_pattern: {},
  use_dora: false,
  bias: "none",
  lora_bias: false,
  modules_to_save: null,
};
const canonicalConfig =
  '{"alpha_pattern":{},"base_model_name_or_path":null,"bias":"none","fan_in_fan_out":false,"lora_alpha":4,"lora_bias":false,' +
  '"modules_to_save":null,"peft_type":"LORA","r":2,"rank_pattern":{},"target_modules":["q"],"use_dora":false,"use_rslora":false}';
const manifest: CatSource[] = [
  { sha256: "a".repeat(64), objectKey: sourceObjectKey("a".repeat(64)), config, weight: 0.5 },
  { sha256: "b".repeat(64), objectKey: sourceObjectKey("b".repeat(64)), config, weight: 0.25 },
];

describe("cat manifest sha256", () => {
  it("is the sha256 of a canonical JSON of the sources in order (stable across runs)", () => {
    const canonical =
      `{"combination":"cat","sources":[{"config":${canonicalConfig},"sha256":"${"a".repeat(64)}","weight":0.5},` +
      `{"config":${canonicalConfig},"sha256":"${"b".repeat(64)}","weight":0.25}],"version":1}`;
    expect(catManifestSha256(manifest)).toBe(createHash("sha256").update(canonical).digest("hex"));
    expect(catManifestSha256(manifest)).toBe("a5fb883d7bf52613fd256ad86039aa9ecb03ddb6c69554d9e5b5410425ee3178");
  });

  it("depends on the order of the sources and their weights, not on key order or object keys", () => {
    const sha = catManifestSha256(manifest);
    expect(catManifestSha256([manifest[1]!, manifest[0]!])).not.toBe(sha);
    expect(catManifestSha256([manifest[0]!, { ...manifest[1]!, weight: 0.26 }])).not.toBe(sha);
    const reordered = Object.fromEntries(Object.entries(config).reverse()) as peft.PeftLoraConfig;
    expect(catManifestSha256(manifest.map((s) => ({ ...s, config: reordered })))).toBe(sha);
    expect(catManifestSha256(manifest.map((s) => ({ ...s, objectKey: `elsewhere/${s.sha256}.safetensors` })))).toBe(sha);
  });
});

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

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AdapterSource, catManifestSha256, createAdapters } from "@semla/adapters";
import { type CountingStore, countingStoreWith, sourcesOf } from "@semla/adapters/testing";
import { bytesSource, type LoraAdapter, peft } from "@semla/core";
import { type BankSegmenter, BankSessions, bankManifestKey, decodeInferenceResponse, encodeInvocation, INVOCATION_CONTENT_TYPE, type Invocation, type OnnxSegmenter } from "@semla/inference";
import { openModelPack, preparePack, prepareTargets } from "@semla/models";
import { catsegExportFile, writeTorchExportPack } from "@semla/models/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpointApp } from "./app.js";
import { bankBuilder, createEndpointBanks } from "./banks.js";
import { loadSegmenter } from "./segmenter.js";

// The endpoint in bank mode over the prepared CAT-Seg-shaped pack (fixtures/catseg-export) and the
// library [fog, night] published at generation 3: requests before the bank is ready are served from
// their cat manifest (and start the build); after, from the bank, batched, with no store read and
// nothing fused per request, answering what the cat-fused adapter answers.

const TARGETS = String.raw`.*resblocks\.\d\.(attn\.(q_proj|v_proj|out_proj)|mlp\.c_fc)|.*head\.proj`;
const CLASSES = ["road", "sky", "car"];

async function adapter(name: string): Promise<LoraAdapter> {
  const dir = catsegExportFile(name);
  return peft.readLoraAdapter({
    config: await readFile(path.join(dir, "adapter_config.json")),
    weights: bytesSource(new Uint8Array(await readFile(path.join(dir, "adapter_model.safetensors")))),
  });
}

describe("the endpoint in bank mode", () => {
  let root: string;
  let store: CountingStore;
  let onnx: OnnxSegmenter;
  let sources: AdapterSource[];
  let sessions: BankSessions<BankSegmenter>;
  let banks: ReturnType<typeof createEndpointBanks>;
  let app: ReturnType<typeof createEndpointApp>;
  let adapters: ReturnType<typeof createAdapters>;
  const logged: string[] = [];
  // Builds wait for the test to open the gate: what is served before a bank is ready does not race it.
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-bank-"));
    await writeTorchExportPack(path.join(root, "base"));
    const written = await preparePack({
      segmenter: catsegExportFile("segmenter.onnx"),
      targets: prepareTargets(TARGETS),
      from: path.join(root, "base"),
      out: path.join(root, "pack"),
      preprocessing: { resize: { height: 32, width: 32 }, resample: "bicubic", crop: null, rescaleFactor: 1 / 255, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
    });
    const pack = await openModelPack(written.dir);
    const library = sourcesOf([await adapter("adapter-fog"), await adapter("adapter-night")], [1, 1]);
    sources = library.sources;
    store = await countingStoreWith(sources, library.files);
    const manifest = { library: "lib-1", generation: 3, adapters: sources.map(({ sha256, objectKey, config }) => ({ sha256, objectKey, config })) };
    await store.put(bankManifestKey("lib-1", 3), new TextEncoder().encode(JSON.stringify(manifest)));
    adapters = createAdapters({ store });
    onnx = await loadSegmenter(pack, ["cpu"], { workers: 1 });
    sessions = new BankSessions<BankSegmenter>({
      maxBytes: 1024 ** 3,
      build: async (library, generation) => {
        await gate;
        return bankBuilder({ store, adapters, segmenter: pack.segmenter!, text: onnx.classText })(library, generation);
      },
      onBuildError: (error, bank) => logged.push(`${bank.library}@${bank.generation}: ${(error as Error).message}`),
    });
    banks = createEndpointBanks({ sessions, windowMs: 200, maxBatch: 8 });
    app = createEndpointApp({ segmenter: onnx, adapters, banks, ready: () => true });
  });
  afterAll(async () => {
    await banks?.close();
    await onnx?.close();
    await store?.remove();
    await rm(root, { recursive: true, force: true });
  });

  const image = () => readFile(catsegExportFile("../torch-export/image.png")).then((b) => new Uint8Array(b));
  const plan = (indices: number[], weights: number[], generation = 3) => ({ library: "lib-1", generation, indices, weights });
  const cat = (weights: number[]) => {
    const weighted = sources.map((s, i) => ({ ...s, weight: weights[i]! })).filter((s) => s.weight !== 0);
    return { kind: "cat" as const, sha256: catManifestSha256(weighted), sources: weighted };
  };
  const invoke = async (request: Invocation) => {
    const response = await app.request("/invocations", { method: "POST", headers: { "content-type": INVOCATION_CONTENT_TYPE }, body: encodeInvocation(request) });
    return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
  };

  it("serves a plan from its cat manifest until the library's bank is built, then from the bank, batched, with nothing read or fused", async () => {
    const photo = await image();
    // Before the bank: a plan alone is refused (503, retry), a plan with its manifest is served from the manifest.
    const refused = await invoke({ image: photo, classNames: CLASSES, adapter: { kind: "none" }, bank: plan([0, 1], [0.7, 0.3]) });
    expect(refused.status).toBe(503);
    expect(JSON.parse(new TextDecoder().decode(refused.body)).error).toMatchObject({ code: "endpoint.bank-not-ready", details: { library: "lib-1", generation: 3 } });
    const viaManifest = await invoke({ image: photo, classNames: CLASSES, adapter: cat([0.7, 0.3]), bank: plan([0, 1], [0.7, 0.3]) });
    expect(viaManifest.status).toBe(200);
    const manifestAnswer = decodeInferenceResponse(viaManifest.body);
    expect(manifestAnswer.adapter.kind).toBe("cat");
    const nightOnly = decodeInferenceResponse((await invoke({ image: photo, classNames: CLASSES, adapter: cat([0, 1.5]) })).body);

    openGate();
    await sessions.settled("lib-1");
    expect(logged).toEqual([]);
    const reads = store.calls.get;
    const cache = adapters.stats();
    // Two requests with different plans, within the window: one batch.
    const [a, b] = await Promise.all([
      invoke({ image: photo, classNames: CLASSES, adapter: { kind: "none" }, bank: plan([0, 1], [0.7, 0.3]) }),
      invoke({ image: photo, classNames: CLASSES, adapter: cat([0, 1.5]), bank: plan([1], [1.5]) }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(banks.window.stats).toEqual({ batches: 1, items: 2, split: 0 });
    const [bankA, bankB] = [decodeInferenceResponse(a.body), decodeInferenceResponse(b.body)];
    expect(bankA.adapter).toEqual({ kind: "bank", sha256: null, cached: true });
    for (const [got, expected] of [
      [bankA, manifestAnswer],
      [bankB, nightOnly],
    ] as const) {
      expect(Buffer.from(got.maskPng).equals(Buffer.from(expected.maskPng))).toBe(true);
      for (const [c, s] of got.scores.entries()) expect(Math.abs(s.meanProbability - expected.scores[c]!.meanProbability)).toBeLessThan(1e-5);
    }
    expect(bankA.scores).not.toEqual(bankB.scores);
    // Steady state: no adapter bytes read, no adapter built or fused, for either request.
    expect(store.calls.get).toBe(reads);
    expect(adapters.stats()).toEqual(cache);
  });

  it("refuses a plan outside the bank (400) and serves a plan for an unpublished generation from its manifest", async () => {
    const photo = await image();
    const outside = await invoke({ image: photo, classNames: CLASSES, adapter: { kind: "none" }, bank: plan([5], [1]) });
    expect(outside.status).toBe(400);
    expect(JSON.parse(new TextDecoder().decode(outside.body)).error).toMatchObject({ code: "bank.plan", message: "index 5 is outside the bank of 2 adapters" });
    const next = await invoke({ image: photo, classNames: CLASSES, adapter: cat([0.7, 0.3]), bank: plan([0, 1], [0.7, 0.3], 4) });
    expect(decodeInferenceResponse(next.body).adapter.kind).toBe("cat");
    await sessions.settled("lib-1");
    expect(logged).toEqual([`lib-1@4: object ${bankManifestKey("lib-1", 4)} does not exist`]);
    // The generation held keeps serving.
    expect(decodeInferenceResponse((await invoke({ image: photo, classNames: CLASSES, adapter: { kind: "none" }, bank: plan([0], [1]) })).body).adapter.kind).toBe("bank");
  });
});

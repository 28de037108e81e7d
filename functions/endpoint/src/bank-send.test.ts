import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AdapterSource, createAdapters, type Mixture } from "@semla/adapters";
import { type CountingStore, countingStoreWith, safetensorsOf, sourceObjectKey } from "@semla/adapters/testing";
import { fusion, randomAdapter } from "@semla/core";
import {
  type BankAdapter,
  type BankLibrary,
  type BankSegmenter,
  BankSessions,
  bankManifestKey,
  createSageMakerBackend,
  decodeInvocation,
  type InferenceBackend,
  type Invocation,
  type OnnxSegmenter,
} from "@semla/inference";
import { catsegExportFile, readCatsegAdapter, writePreparedCatsegPack } from "@semla/models/testing";
import { sha256Hex } from "@semla/storage";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpointApp } from "./app.js";
import { bankBuilder, createEndpointBanks } from "./banks.js";
import { loadSegmenter } from "./segmenter.js";
import { type RunningServer, startEndpointServer } from "./server.js";
import { sageMakerFront } from "./testing/sagemaker-front.js";

// The API's SageMaker backend sending bank plans, through the loopback SageMaker front, to the
// endpoint app in bank mode over the prepared CAT-Seg-shaped pack (fixtures/catseg-export). The
// library is [night, fog] at generation 1, then [night, fog, extra] at generation 2. Builds wait
// for the test to open their generation's gate, so what is served before a bank is ready does not
// race its build.

const CLASSES = ["road", "sky", "car"];
const LIBRARY = "11111111-1111-4111-8111-111111111111";

function gated() {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("the SageMaker backend sending bank plans to the endpoint", () => {
  let root: string;
  let store: CountingStore;
  let onnx: OnnxSegmenter;
  let sessions: BankSessions<BankSegmenter>;
  let banks: ReturnType<typeof createEndpointBanks>;
  let server: RunningServer;
  const backends: InferenceBackend[] = [];
  /** night, fog (generation 1), extra (added at generation 2), as the registry would store them. */
  const stored: BankAdapter[] = [];
  /** Each envelope the endpoint received, as sent. */
  const sent: Uint8Array[] = [];
  /** Adapter bytes the backend reported sending per request. */
  const adapterBytes: number[] = [];
  /** Generations whose adapters the backend asked for (to publish their manifests). */
  const asked: number[] = [];
  const gates = new Map([1, 2].map((generation) => [generation, gated()]));
  const built: string[] = [];
  let photo: Uint8Array;

  const backend = (options: { bankPlans?: boolean } = {}) => {
    const made = createSageMakerBackend({
      endpointName: "semla",
      adapters: createAdapters({ store }),
      store,
      region: "us-east-1",
      endpoint: server.url,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      retryBaseDelayMs: 5,
      metrics: { backendRetry: () => undefined, backendTimeout: () => undefined, adapterBytes: (bytes) => adapterBytes.push(bytes) },
      ...options,
    });
    backends.push(made);
    return made;
  };
  const library = (generation: number, adapters: readonly BankAdapter[]): BankLibrary => ({
    id: LIBRARY,
    generation,
    bankAdapters: async () => (asked.push(generation), adapters),
  });
  const mixture = (weighted: readonly [BankAdapter, number][], options: Mixture["options"] = { combination: "cat" }): Mixture => ({
    sources: weighted.map(([adapter, weight]): AdapterSource => ({ ...adapter, weight })),
    options,
  });
  const lastSent = (): Invocation => decodeInvocation(sent.at(-1)!);
  const manifestOf = async (generation: number) => JSON.parse(new TextDecoder().decode(await store.get(bankManifestKey(LIBRARY, generation))));
  const sameAnswer = (got: { maskPng: Uint8Array; scores: readonly { meanProbability: number }[] }, expected: typeof got) => {
    expect(Buffer.from(got.maskPng).equals(Buffer.from(expected.maskPng))).toBe(true);
    for (const [c, s] of got.scores.entries()) expect(Math.abs(s.meanProbability - expected.scores[c]!.meanProbability)).toBeLessThan(1e-5);
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-bank-send-"));
    const pack = await writePreparedCatsegPack(root);
    const fog = await readCatsegAdapter("adapter-fog");
    const modules = pack.segmenter!.loraModules.map(({ name, inFeatures, outFeatures }) => ({ name, inFeatures, outFeatures }));
    const extra = randomAdapter({ modules, rank: 4, seed: 7, std: 0.2, baseModel: fog.config.base_model_name_or_path ?? null });
    const adapters = [await readCatsegAdapter("adapter-night"), fog, extra];
    const files = adapters.map(safetensorsOf);
    for (const [i, adapter] of adapters.entries()) {
      const sha256 = sha256Hex(files[i]!);
      stored.push({ sha256, objectKey: sourceObjectKey(sha256, i), config: adapter.config });
    }
    store = await countingStoreWith(stored, files);
    const endpointAdapters = createAdapters({ store });
    onnx = await loadSegmenter(pack, ["cpu"], { workers: 1 });
    const build = bankBuilder({ store, adapters: endpointAdapters, segmenter: pack.segmenter!, text: onnx.classText });
    sessions = new BankSessions<BankSegmenter>({
      maxBytes: 1024 ** 3,
      build: async (id, generation) => {
        await gates.get(generation)?.promise;
        const bank = await build(id, generation);
        built.push(`${id}@${generation}`);
        return bank;
      },
      onBuildError: (error, bank) => built.push(`${bank.library}@${bank.generation} failed: ${(error as Error).message}`),
    });
    banks = createEndpointBanks({ sessions, windowMs: 0, maxBatch: 8 });
    const app = createEndpointApp({ segmenter: onnx, adapters: endpointAdapters, banks, ready: () => true });
    // Records each envelope on its way from the SageMaker front to the container.
    const recorder = new Hono();
    recorder.post("/invocations", async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      sent.push(body);
      return app.fetch(new Request(c.req.url, { method: "POST", headers: c.req.raw.headers, body }));
    });
    server = await startEndpointServer(sageMakerFront(recorder), { port: 0, hostname: "127.0.0.1" });
    photo = new Uint8Array(await readFile(catsegExportFile("../torch-export/image.png")));
  });
  afterAll(async () => {
    for (const made of backends) await made.close();
    await server?.close();
    await banks?.close();
    await onnx?.close();
    await store?.remove();
    await rm(root, { recursive: true, force: true });
  });

  it("publishes a generation's manifest on its first request, which falls back to its cat manifest; once built, plans travel alone and answer as the fused path", async () => {
    const [night, fog] = [stored[0]!, stored[1]!];
    const api = backend();
    const fused = backend({ bankPlans: false });
    const planned = mixture([
      [fog, 0.7],
      [night, 0.3],
    ]);
    const request = { image: photo, classNames: CLASSES, mixture: planned };

    const first = await api.infer({ ...request, library: library(1, [night, fog]) });
    expect(asked).toEqual([1]);
    expect(await manifestOf(1)).toEqual({ library: LIBRARY, generation: 1, adapters: [night, fog] });
    expect(lastSent().bank).toEqual({ library: LIBRARY, generation: 1, indices: [1, 0], weights: [0.7, 0.3] });
    expect(lastSent().adapter.kind).toBe("cat");
    // No bank yet: served from the cat manifest, and the bank's build started.
    expect(first.adapter.kind).toBe("cat");
    expect(first.fusion).toEqual({ at: "backend", cached: false });
    expect(sessions.stats.building).toBe(1);

    gates.get(1)!.open();
    await sessions.settled(LIBRARY);
    expect(built).toEqual([`${LIBRARY}@1`]);

    const gets = store.calls.get;
    const puts = store.calls.put;
    const bank = await api.infer({ ...request, library: library(1, [night, fog]) });
    expect(bank.adapter).toEqual({ kind: "bank", sha256: null, cached: true });
    expect(bank.fusion).toEqual({ at: "backend", cached: false });
    // Steady state: nothing asked of the registry or the store, no adapter bytes in the envelope or read anywhere.
    expect(asked).toEqual([1]);
    expect([store.calls.get, store.calls.put]).toEqual([gets, puts]);
    expect(adapterBytes).toEqual([0, 0]);
    const envelope = sent.at(-1)!;
    expect(envelope.byteLength - photo.byteLength).toBeLessThan(4096);

    const reference = await fused.infer(request);
    expect(reference.adapter.kind).toBe("inline");
    expect(reference.fusion).toEqual({ at: "api", cached: false });
    sameAnswer(bank, reference);
    sameAnswer(first, reference);
  });

  it("publishes a new generation's manifest when an adapter is added; the old bank keeps serving its plans until the new one is built", async () => {
    const [night, fog, extra] = [stored[0]!, stored[1]!, stored[2]!];
    const api = backend();
    const stale = backend(); // another API process that still reads generation 1
    const fused = backend({ bankPlans: false });
    const withExtra = mixture([
      [extra, 0.5],
      [fog, 0.5],
    ]);

    const first = await api.infer({ image: photo, classNames: CLASSES, mixture: withExtra, library: library(2, [night, fog, extra]) });
    expect(asked).toEqual([1, 2]);
    expect(await manifestOf(2)).toEqual({ library: LIBRARY, generation: 2, adapters: [night, fog, extra] });
    expect(await manifestOf(1)).toEqual({ library: LIBRARY, generation: 1, adapters: [night, fog] });
    expect(lastSent().bank).toEqual({ library: LIBRARY, generation: 2, indices: [2, 1], weights: [0.5, 0.5] });
    expect(first.adapter.kind).toBe("cat");

    // Generation 2 is building: a generation-1 plan is still served by generation 1's bank (its manifest read, not published again).
    const old = await stale.infer({
      image: photo,
      classNames: CLASSES,
      mixture: mixture([[night, 1]]),
      library: library(1, [night, fog]),
    });
    expect(asked).toEqual([1, 2]);
    expect(lastSent().bank).toEqual({ library: LIBRARY, generation: 1, indices: [0], weights: [1] });
    expect(old.adapter.kind).toBe("bank");

    gates.get(2)!.open();
    await sessions.settled(LIBRARY);
    expect(built).toEqual([`${LIBRARY}@1`, `${LIBRARY}@2`]);
    const bank = await api.infer({ image: photo, classNames: CLASSES, mixture: withExtra, library: library(2, [night, fog, extra]) });
    expect(bank.adapter.kind).toBe("bank");
    const reference = await fused.infer({ image: photo, classNames: CLASSES, mixture: withExtra });
    sameAnswer(bank, reference);
    sameAnswer(first, reference);
    expect(bank.scores).not.toEqual(old.scores);
    // The backend that knows generation 2 sends no plan for a request that read generation 1.
    await api.infer({ image: photo, classNames: CLASSES, mixture: mixture([[night, 1]]), library: library(1, [night, fog]) });
    expect(lastSent().bank).toBeUndefined();
  });

  it("sends a ties fusion as today: fused by the API, no bank plan, no manifest asked for", async () => {
    const [night, fog] = [stored[0]!, stored[1]!];
    const api = backend();
    const options = fusion.parseFusionOptions({ combination: "ties", density: 0.5 });
    const ties = mixture(
      [
        [fog, 0.6],
        [night, 0.4],
      ],
      options,
    );
    const before = asked.length;
    const answer = await api.infer({ image: photo, classNames: CLASSES, mixture: ties, library: library(2, stored) });
    expect(lastSent().bank).toBeUndefined();
    expect(lastSent().adapter.kind).toBe("inline");
    expect(answer.fusion).toEqual({ at: "api", cached: false });
    expect(asked.length).toBe(before);
    sameAnswer(answer, await backend({ bankPlans: false }).infer({ image: photo, classNames: CLASSES, mixture: ties }));
  });
});

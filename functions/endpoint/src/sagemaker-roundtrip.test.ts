import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AdapterSource, type Adapters, catManifestSha256, createAdapters, type Mixture } from "@semla/adapters";
import { fusion, peft, randomAdapter, SemlaError } from "@semla/core";
import { createSageMakerBackend, type InferenceBackend, invocationByteLength } from "@semla/inference";
import { adapterObjectKey, type BlobStore, createFsBlobStore, sha256Hex } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpointApp } from "./app.js";
import { type RunningServer, startEndpointServer } from "./server.js";
import { fakeSegmenter, ONE_PIXEL_PNG } from "./testing/fake-segmenter.js";
import { InferenceComponentCapacity, sageMakerFront } from "./testing/sagemaker-front.js";

/** The SageMaker backend, through the SDK, against the endpoint app behind a loopback server. */
describe("SageMaker backend against the endpoint (fake segmenter)", () => {
  // Big enough that no fusion of them fits inline under the limit below, which a cat manifest does.
  const MODULES = [{ name: "blocks.0.attn.q_proj", inFeatures: 64, outFeatures: 64 }];
  const LIBRARY = "11111111-1111-4111-8111-111111111111";
  let root: string;
  let store: BlobStore;
  const gets: string[] = [];
  const servers: RunningServer[] = [];
  const backends: InferenceBackend[] = [];
  const sources: AdapterSource[] = [];
  const adapters = [1, 2].map((seed) => randomAdapter({ modules: MODULES, rank: 4, seed }));
  let limit: number;
  const request = { image: ONE_PIXEL_PNG, classNames: ["road", "sky"] };

  /** An endpoint on its own adapters (or the given ones), and a backend over the API side's. */
  async function stack(api: Adapters, endpoint: Adapters = createAdapters({ store }), front: { capacity?: InferenceComponentCapacity; inferenceComponentName?: string } = {}) {
    const segmenter = fakeSegmenter();
    const app = createEndpointApp({ segmenter, adapters: endpoint, ready: () => true });
    const server = await startEndpointServer(sageMakerFront(app, front.capacity ? { capacity: front.capacity } : {}), { port: 0, hostname: "127.0.0.1" });
    servers.push(server);
    const backend = createSageMakerBackend({
      endpointName: "semla",
      adapters: api,
      store,
      region: "us-east-1",
      endpoint: server.url,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      retryBaseDelayMs: 5,
      payloadLimitBytes: limit,
      ...(front.inferenceComponentName ? { inferenceComponentName: front.inferenceComponentName } : {}),
    });
    backends.push(backend);
    return { segmenter, server, backend };
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-"));
    const fsStore = createFsBlobStore({ root });
    store = { ...fsStore, get: (key, range) => (gets.push(key), fsStore.get(key, range)) };
    for (const [i, adapter] of adapters.entries()) {
      const weights = peft.writePeftAdapter(adapter).weights;
      const sha256 = sha256Hex(weights);
      const objectKey = adapterObjectKey({ libraryId: LIBRARY, adapterId: `22222222-2222-4222-8222-00000000000${i}`, version: 1, sha256 });
      await fsStore.put(objectKey, weights);
      sources.push({ sha256, objectKey, config: adapter.config, weight: i === 0 ? 0.6 : 0.4 });
    }
    limit = invocationByteLength({ ...request, adapter: { kind: "cat", sha256: catManifestSha256(sources), sources } });
  });
  afterAll(async () => {
    for (const backend of backends) await backend.close();
    for (const server of servers) await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it("sends a cat fusion over the limit by manifest: rebuilt once on the endpoint, then served from its cache", async () => {
    const { backend, segmenter } = await stack(createAdapters({ store }));
    const mixture: Mixture = { sources, options: { combination: "cat" } };
    const fused = fusion.fuseAdapters(
      adapters.map((adapter, i) => ({ adapter, weight: sources[i]!.weight })),
      { combination: "cat" },
    );
    const first = await backend.infer({ ...request, mixture });
    expect(first.adapter).toEqual({ kind: "cat", sha256: catManifestSha256(sources), cached: false });
    expect(first.fusion).toEqual({ at: "backend", cached: false });
    expect(first.maskPng).toEqual(ONE_PIXEL_PNG);
    const second = await backend.infer({ ...request, mixture });
    expect(second.adapter.cached).toBe(true);
    const served = segmenter.inputs.at(-1)!.adapter!;
    expect(served.modules.map((m) => [...m.b])).toEqual(fused.modules.map((m) => [...m.b]));
  });

  it("shares one cache between the backend and the endpoint in one process: each source is read once", async () => {
    const shared = createAdapters({ store });
    const { backend } = await stack(shared, shared);
    gets.length = 0;
    const mixture: Mixture = { sources, options: { combination: "cat" } };
    await backend.infer({ ...request, mixture });
    await backend.infer({ ...request, mixture: { sources, options: { combination: "linear" } } });
    // The backend loaded the sources (to size the payload); the endpoint rebuilt the cat fusion from
    // the same cache, and read the linear one's fused object, written once.
    expect(gets.filter((key) => !key.startsWith("fused/"))).toEqual(sources.map((s) => s.objectKey));
    expect(gets.filter((key) => key.startsWith("fused/"))).toHaveLength(1);
  });

  it("answers a missing source as the local backend does (adapters.missing-object, internal), before invoking", async () => {
    const { backend, segmenter } = await stack(createAdapters({ store }));
    const missingSha = "d".repeat(64);
    const missing = { ...sources[0]!, sha256: missingSha, objectKey: adapterObjectKey({ libraryId: LIBRARY, adapterId: "33333333-3333-4333-8333-333333333333", version: 1, sha256: missingSha }) };
    await expect(backend.infer({ ...request, mixture: { sources: [missing], options: { combination: "cat" } } })).rejects.toMatchObject({ code: "adapters.missing-object", kind: "internal" });
    expect(segmenter.inputs).toHaveLength(0);
  });

  it("while the inference component has no copies, the SDK's answer through the front is backend.scaling-from-zero, one invocation per request, then it serves", async () => {
    const capacity = new InferenceComponentCapacity(2);
    const { backend, segmenter } = await stack(createAdapters({ store }), undefined, { capacity, inferenceComponentName: "semla-segmenter" });
    for (let i = 0; i < 2; i++) {
      await expect(backend.infer({ ...request, mixture: null })).rejects.toMatchObject({
        code: "backend.scaling-from-zero",
        kind: "unavailable",
        details: { endpointName: "semla", inferenceComponentName: "semla-segmenter", state: "scaling-from-zero", retryAfterSeconds: 30, status: 400 },
      });
    }
    expect([capacity.refused, capacity.served, segmenter.inputs.length]).toEqual([2, 0, 0]);
    expect((await backend.infer({ ...request, mixture: null })).maskPng).toEqual(ONE_PIXEL_PNG);
    expect([capacity.refused, capacity.served, segmenter.inputs.length]).toEqual([2, 1, 1]);
    expect(capacity.named).toEqual(["semla-segmenter", "semla-segmenter", "semla-segmenter"]);
  });

  it("carries the endpoint's 4xx back as the endpoint's error, and the endpoint stays up", async () => {
    const { backend, segmenter, server } = await stack(createAdapters({ store }));
    segmenter.failWith = new SemlaError("image.undecodable", "the image cannot be decoded", { rule: "undecodable" });
    await expect(backend.infer({ ...request, mixture: null })).rejects.toMatchObject({ code: "image.undecodable", status: 400 });
    expect((await fetch(`${server.url}/endpoints/semla/invocations`, { method: "POST", body: "junk", headers: { "content-type": "application/x-semla-invocation" } })).status).toBe(400);
    const ok = await backend.infer({ image: ONE_PIXEL_PNG, classNames: ["a"], mixture: null });
    expect(ok.scores).toEqual([{ className: "a", pixelFraction: 1, meanProbability: 1 }]);
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fusion, peft, randomAdapter } from "@semla/core";
import { adapterReference, catManifestSha256, createAdapterResolver, createSageMakerBackend, type CatSource, type InferenceBackend } from "@semla/inference";
import { adapterObjectKey, createFsBlobStore, sha256Hex, type BlobStore } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpointApp } from "./app.js";
import { startEndpointServer, type RunningServer } from "./server.js";
import { sageMakerFront } from "./test-front.js";
import { fakeSegmenter, ONE_PIXEL_PNG } from "./test-segmenter.js";

/** The SageMaker backend, through the SDK, against the endpoint app behind a loopback server. */
describe("SageMaker backend against the endpoint (fake segmenter)", () => {
  const MODULES = [{ name: "blocks.0.attn.q_proj", inFeatures: 8, outFeatures: 8 }];
  const LIBRARY = "11111111-1111-4111-8111-111111111111";
  let root: string;
  let store: BlobStore;
  let server: RunningServer;
  let backend: InferenceBackend;
  const segmenter = fakeSegmenter();
  const sources: CatSource[] = [];
  const adapters = [1, 2].map((seed) => randomAdapter({ modules: MODULES, rank: 2, seed }));

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-"));
    store = createFsBlobStore({ root });
    for (const [i, adapter] of adapters.entries()) {
      const weights = peft.writePeftAdapter(adapter).weights;
      const sha256 = sha256Hex(weights);
      const objectKey = adapterObjectKey({ libraryId: LIBRARY, adapterId: `22222222-2222-4222-8222-00000000000${i}`, version: 1, sha256 });
      await store.put(objectKey, weights);
      sources.push({ sha256, objectKey, config: adapter.config, weight: i === 0 ? 0.6 : 0.4 });
    }
    const app = createEndpointApp({ segmenter, resolver: createAdapterResolver({ store }), ready: () => true });
    server = await startEndpointServer(sageMakerFront(app), { port: 0, hostname: "127.0.0.1" });
    backend = createSageMakerBackend({
      endpointName: "semla",
      region: "us-east-1",
      endpoint: server.url,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      retryBaseDelayMs: 5,
    });
  });
  afterAll(async () => {
    await backend.close();
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it("sends a cat fusion by manifest: rebuilt once on the endpoint, then served from its cache", async () => {
    const fused = fusion.fuseAdapters(adapters.map((adapter, i) => ({ adapter, weight: sources[i]!.weight })), { combination: "cat" });
    const request = { image: ONE_PIXEL_PNG, classNames: ["road", "sky"] };
    const reference = await adapterReference({ request, fused, combination: "cat", sources }, { payloadLimitBytes: 600 });
    expect(reference.kind).toBe("cat");

    const first = await backend.infer({ ...request, adapter: reference });
    expect(first.adapter).toEqual({ kind: "cat", sha256: reference.kind === "cat" ? reference.sha256 : null, cached: false });
    expect(first.maskPng).toEqual(ONE_PIXEL_PNG);
    const second = await backend.infer({ ...request, adapter: reference });
    expect(second.adapter.cached).toBe(true);
    const served = segmenter.inputs.at(-1)!.adapter!;
    expect(served.modules.map((m) => [...m.b])).toEqual(fused.modules.map((m) => [...m.b]));
  });

  it("carries the endpoint's 4xx back as the endpoint's error, and the endpoint stays up", async () => {
    const missingSha = "d".repeat(64);
    const missing = [{ ...sources[0]!, sha256: missingSha, objectKey: adapterObjectKey({ libraryId: LIBRARY, adapterId: "33333333-3333-4333-8333-333333333333", version: 1, sha256: missingSha }) }];
    await expect(
      backend.infer({ image: ONE_PIXEL_PNG, classNames: ["a"], adapter: { kind: "cat", sha256: catManifestSha256(missing), sources: missing } }),
    ).rejects.toMatchObject({ code: "adapter-reference.missing-object", status: 400, message: expect.stringContaining("cat source #0:") });
    expect((await fetch(`${server.url}/endpoints/semla/invocations`, { method: "POST", body: "junk", headers: { "content-type": "application/x-semla-invocation" } })).status).toBe(400);
    const ok = await backend.infer({ image: ONE_PIXEL_PNG, classNames: ["a"], adapter: { kind: "none" } });
    expect(ok.scores).toEqual([{ className: "a", pixelFraction: 1, meanProbability: 1 }]);
  });
});

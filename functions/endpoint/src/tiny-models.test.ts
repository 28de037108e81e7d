import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AdapterSource, catManifestSha256, createAdapters, type Mixture } from "@semla/adapters";
import { fusion, peft, randomAdapter } from "@semla/core";
import { createSageMakerBackend, encodeInvocation, INVOCATION_CONTENT_TYPE, type InferenceBackend, invocationByteLength, type Segmenter } from "@semla/inference";
import type { ModelPack } from "@semla/models";
import { locateModels } from "@semla/service/models";
import { adapterObjectKey, type BlobStore, createFsBlobStore, sha256Hex } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpointApp } from "./app.js";
import { loadSegmenter } from "./segmenter.js";
import { type RunningServer, startEndpointServer } from "./server.js";
import { gradientPng } from "./testing/gradient-png.js";
import { rawEnvelope } from "./testing/raw-envelope.js";
import { sageMakerFront } from "./testing/sagemaker-front.js";

/** The reference endpoint with the real (tiny) ONNX models, invoked through the SageMaker SDK on loopback. */
describe("endpoint with the tiny models", () => {
  const LIBRARY = "11111111-1111-4111-8111-111111111111";
  const image = gradientPng(40, 30);
  const classNames = ["sky", "road", "tree"];
  let root: string;
  let files: ModelPack;
  let store: BlobStore;
  let segmenter: Segmenter;
  let server: RunningServer;
  let backend: InferenceBackend;
  /** The same, with a payload limit no adapter fits: a cat fusion goes by manifest. */
  let small: InferenceBackend;
  const logs: string[] = [];
  const sources: AdapterSource[] = [];
  let adapters: ReturnType<typeof randomAdapter>[];

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-tiny-"));
    // An empty model folder: a local run generates the models into the cache folder, and says so.
    files = await locateModels({ dir: path.join(root, "opt-ml-model"), cacheDir: path.join(root, "models"), preset: "tiny", log: (line) => logs.push(line) });
    segmenter = await loadSegmenter(files, ["cpu"]);
    store = createFsBlobStore({ root: path.join(root, "blobs") });
    const targets = files.segmenter!.loraModules;
    adapters = [1, 2].map((seed) => randomAdapter({ modules: targets, rank: 4, seed, std: 0.3, baseModel: "semla-tiny" }));
    for (const [i, adapter] of adapters.entries()) {
      const weights = peft.writePeftAdapter(adapter).weights;
      const sha256 = sha256Hex(weights);
      const objectKey = adapterObjectKey({ libraryId: LIBRARY, adapterId: `22222222-2222-4222-8222-00000000000${i}`, version: 1, sha256 });
      await store.put(objectKey, weights);
      sources.push({ sha256, objectKey, config: adapter.config, weight: i === 0 ? 0.7 : 0.3 });
    }
    const app = createEndpointApp({ segmenter, adapters: createAdapters({ store }), ready: () => true });
    server = await startEndpointServer(sageMakerFront(app), { port: 0, hostname: "127.0.0.1" });
    const api = { endpointName: "semla", adapters: createAdapters({ store }), store, region: "us-east-1", endpoint: server.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
    backend = createSageMakerBackend(api);
    // The manifest fits exactly; the fused adapter inline would not.
    small = createSageMakerBackend({ ...api, payloadLimitBytes: invocationByteLength({ image, classNames, adapter: { kind: "cat", sha256: catManifestSha256(sources), sources } }) });
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await small?.close();
    await server?.close();
    await segmenter?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("generated the models into the cache folder and said so", () => {
    expect(files.dir).toBe(path.join(root, "models"));
    expect(logs[0]).toBe(`models: ${path.join(root, "opt-ml-model")} holds no semla-models.json; using the generated tiny models in ${path.join(root, "models")} (generating them if needed)`);
    expect(logs[1]).toBe(`models: generated tiny into ${path.join(root, "models")}`);
  });

  it("segments zero-shot through the SageMaker SDK exactly as the segmenter does in-process", async () => {
    const remote = await backend.infer({ image, classNames, mixture: null, requestId: "tiny-1" });
    const local = await segmenter.segment({ image, classNames, adapter: null });
    expect([remote.width, remote.height]).toEqual([40, 30]);
    expect(remote.maskPng).toEqual(local.maskPng);
    expect(remote.scores).toEqual(local.scores);
    expect(remote.adapter).toEqual({ kind: "none", sha256: null, cached: false });
    expect(Object.keys(remote.timings).sort()).toEqual(Object.keys(local.timings).sort());
  });

  it("segments with a cat fusion sent by manifest, as with the fused adapter in-process", async () => {
    const fused = fusion.fuseAdapters(
      adapters.map((adapter, i) => ({ adapter, weight: sources[i]!.weight })),
      { combination: "cat" },
    );
    const request = { image, classNames };
    const mixture: Mixture = { sources, options: { combination: "cat" } };

    const remote = await small.infer({ ...request, mixture });
    const local = await segmenter.segment({ ...request, adapter: fused });
    const zeroShot = await segmenter.segment({ ...request, adapter: null });
    expect(remote.maskPng).toEqual(local.maskPng);
    expect(remote.scores).toEqual(local.scores);
    expect(remote.scores).not.toEqual(zeroShot.scores); // the adapter did change the answer
    expect(remote.adapter).toEqual({ kind: "cat", sha256: catManifestSha256(sources), cached: false });
    expect(remote.fusion).toEqual({ at: "backend", cached: false });
    expect((await small.infer({ ...request, mixture })).adapter.cached).toBe(true);

    // The same fusion inline (it fits the default limit) gives the same answer.
    const inline = await backend.infer({ ...request, mixture });
    expect([inline.adapter.kind, inline.fusion]).toEqual(["inline", { at: "api", cached: false }]);
    expect(inline.maskPng).toEqual(local.maskPng);
  });

  describe("bad input: a 4xx with the error, and the server stays up", () => {
    const invoke = (body: Uint8Array) => fetch(`${server.url}/endpoints/semla/invocations`, { method: "POST", headers: { "content-type": INVOCATION_CONTENT_TYPE }, body: new Uint8Array(body) });

    it.each([
      ["an empty class list", () => rawEnvelope({ version: 1, classNames: [], adapter: { kind: "none" }, imageByteLength: image.byteLength, weightsByteLength: 0 }, image), "segment.no-classes"],
      [
        "duplicate class names",
        () => rawEnvelope({ version: 1, classNames: ["road", "road"], adapter: { kind: "none" }, imageByteLength: image.byteLength, weightsByteLength: 0 }, image),
        "segment.duplicate-class-name",
      ],
      ["a truncated PNG", () => encodeInvocation({ image: image.subarray(0, 60), classNames, adapter: { kind: "none" } }), "image.undecodable"],
      ["an image that is not an image", () => encodeInvocation({ image: new TextEncoder().encode("hello"), classNames, adapter: { kind: "none" } }), "image.undecodable"],
      ["a malformed envelope", () => new Uint8Array([9, 0, 0, 0, 0x7b]), "transport.invalid-invocation"],
      [
        "an adapter with a module the model lacks",
        () => {
          const alien = randomAdapter({ modules: [{ name: "vision.blocks.99.attn.q_proj", inFeatures: 8, outFeatures: 8 }], rank: 2, seed: 5 });
          const weights = peft.writePeftAdapter(alien).weights;
          return encodeInvocation({ image, classNames, adapter: { kind: "inline", sha256: sha256Hex(weights), config: alien.config, weights } });
        },
        "segment.unknown-module",
      ],
    ])("%s", async (_, body, code) => {
      const response = await invoke(body());
      expect(response.status).toBe(400);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe(code);
      expect(json.error.message.length).toBeGreaterThan(0);
      expect((await fetch(`${server.url}/ping`)).status).toBe(200);
      expect((await backend.infer({ image, classNames, mixture: null })).width).toBe(40);
    });
  });
});

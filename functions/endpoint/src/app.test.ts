import { type Adapters, catManifestSha256, createAdapters } from "@semla/adapters";
import { countingFsStore, smallAdapter, sourcesOf } from "@semla/adapters/testing";
import { SemlaError } from "@semla/core";
import { decodeInferenceResponse, encodeInvocation, INVOCATION_CONTENT_TYPE, type Invocation } from "@semla/inference";
import { createLogger } from "@semla/observability";
import { describe, expect, it } from "vitest";
import { createEndpointApp } from "./app.js";
import { fakeSegmenter, ONE_PIXEL_PNG } from "./testing/fake-segmenter.js";
import { rawEnvelope } from "./testing/raw-envelope.js";

const request: Invocation = { image: ONE_PIXEL_PNG, classNames: ["road", "sky"], adapter: { kind: "none" }, requestId: "r-1" };

function setup(options: { ready?: boolean; bodyLimitBytes?: number; adapters?: Adapters } = {}) {
  const segmenter = fakeSegmenter();
  const lines: string[] = [];
  /** The log's lines, parsed: JSON, one object per line. */
  const log = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const logged = () => log().filter((line) => line.msg === "internal error");
  let ready = options.ready ?? true;
  const app = createEndpointApp({
    segmenter,
    adapters: options.adapters ?? createAdapters(),
    ready: () => ready,
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
    logger: createLogger("info", (line) => lines.push(line)),
  });
  const invoke = (body: Uint8Array | string, contentType = INVOCATION_CONTENT_TYPE) =>
    app.request("/invocations", { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : new Uint8Array(body) });
  return { app, segmenter, log, logged, lines, invoke, setReady: (value: boolean) => (ready = value) };
}

async function errorOf(response: Response): Promise<unknown> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return response.json();
}

describe("endpoint app", () => {
  it("answers /ping 503 while loading and 200 once ready", async () => {
    const { app, setReady, invoke } = setup({ ready: false });
    const loading = await app.request("/ping");
    expect(loading.status).toBe(503);
    expect(await errorOf(loading)).toEqual({ error: { code: "endpoint.not-ready", message: "the models are still loading", details: { rule: "not-ready" } } });
    expect((await invoke(encodeInvocation(request))).status).toBe(503);
    setReady(true);
    expect((await app.request("/ping")).status).toBe(200);
  });

  it("runs an invocation and answers JSON", async () => {
    const { invoke, segmenter } = setup();
    const response = await invoke(encodeInvocation(request));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(decodeInferenceResponse(new Uint8Array(await response.arrayBuffer()))).toEqual({
      maskPng: ONE_PIXEL_PNG,
      width: 1,
      height: 1,
      scores: [
        { className: "road", pixelFraction: 1, meanProbability: 0.5 },
        { className: "sky", pixelFraction: 0, meanProbability: 0.5 },
      ],
      timings: { fakeMs: 1 },
      adapter: { kind: "none", sha256: null, cached: false },
    });
    expect(segmenter.inputs).toEqual([{ image: ONE_PIXEL_PNG, classNames: ["road", "sky"], adapter: null }]);
  });

  it.each([
    [
      "an empty class list",
      rawEnvelope({ version: 1, classNames: [], adapter: { kind: "none" }, imageByteLength: 3, weightsByteLength: 0 }, new Uint8Array(3)),
      "segment.no-classes",
      "at least one class name is needed to segment",
    ],
    // The class list's own codes, as the API answers them (one schema for both).
    [
      "duplicate class names",
      rawEnvelope({ version: 1, classNames: ["road", "sky", "road"], adapter: { kind: "none" }, imageByteLength: 3, weightsByteLength: 0 }, new Uint8Array(3)),
      "segment.duplicate-class-name",
      'class name "road" is given twice (at 0 and 2)',
    ],
    ["a truncated envelope", new Uint8Array([200, 0, 0, 0, 123]), "transport.invalid-invocation", "the invocation header length is 200 bytes but only 1 follow"],
    ["an empty body", new Uint8Array(0), "transport.invalid-invocation", "the invocation is 0 bytes"],
    ["a JSON body", new TextEncoder().encode('{"classNames":["a"]}'), "transport.invalid-invocation", "over the"],
    [
      "a cat manifest with a forged sha256",
      rawEnvelope(
        {
          version: 1,
          classNames: ["a"],
          adapter: {
            kind: "cat",
            sha256: "0".repeat(64),
            sources: [{ sha256: "a".repeat(64), objectKey: `x/${"a".repeat(64)}.safetensors`, config: { peft_type: "LORA", r: 2, lora_alpha: 2, target_modules: ["q"] }, weight: 1 }],
          },
          imageByteLength: 3,
          weightsByteLength: 0,
        },
        new Uint8Array(3),
      ),
      "adapter-reference.integrity",
      "the cat manifest does not match its sha256",
    ],
  ])("refuses %s with 400 JSON", async (_, body, code, message) => {
    const { app, invoke, segmenter } = setup();
    const response = await invoke(body);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ error: { code, message: expect.stringContaining(message) } });
    expect(segmenter.inputs).toHaveLength(0);
    expect((await app.request("/ping")).status).toBe(200);
  });

  it("refuses another content type with 415", async () => {
    const { invoke } = setup();
    const response = await invoke('{"a":1}', "application/json");
    expect(response.status).toBe(415);
    expect(await errorOf(response)).toMatchObject({ error: { code: "endpoint.unsupported-media-type", message: "the request must be application/x-semla-invocation, not application/json" } });
  });

  it("refuses a body over the limit with 413", async () => {
    const { invoke } = setup({ bodyLimitBytes: 1024 });
    const response = await invoke(encodeInvocation({ ...request, image: new Uint8Array(2048).fill(1) }));
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toEqual({
      error: { code: "endpoint.payload-too-large", message: "the request body is over the 1024-byte limit", details: { rule: "payload-too-large", limit: 1024 } },
    });
  });

  it("maps the segmenter's SemlaErrors to 400 and anything else to a bare 500, logged", async () => {
    const { invoke, segmenter, logged, app } = setup();
    segmenter.failWith = new SemlaError("image.undecodable", "the image cannot be decoded", { rule: "undecodable" });
    const bad = await invoke(encodeInvocation(request));
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toEqual({ error: { code: "image.undecodable", message: "the image cannot be decoded", details: { rule: "undecodable" } } });

    const secret = new Error("ENOENT: /opt/ml/model/segmentation.onnx");
    segmenter.failWith = secret;
    const crash = await invoke(encodeInvocation(request));
    expect(crash.status).toBe(500);
    expect(await crash.text()).toBe('{"error":{"code":"endpoint.internal","message":"internal error","details":{}}}');
    expect(logged()).toEqual([
      { time: expect.any(String), level: "error", msg: "internal error", requestId: "r-1", path: "/invocations", error: secret.message, name: "Error", stack: expect.any(String) },
    ]);

    segmenter.failWith = new SemlaError("ort.run-failed", "session at /opt/ml/model failed", {}, "internal");
    expect((await invoke(encodeInvocation(request))).status).toBe(500);
    expect((await invoke(encodeInvocation(request))).status).toBe(200);
    expect((await app.request("/ping")).status).toBe(200);
  });

  it("answers a source missing from the store as the service's own failure: a bare 500, logged (as the API does)", async () => {
    const store = await countingFsStore();
    try {
      const { sources, files } = sourcesOf([smallAdapter(1), smallAdapter(2)], [0.5, 0.5]);
      await store.put(sources[0]!.objectKey, files[0]!); // the second is missing
      const { invoke, logged, segmenter } = setup({ adapters: createAdapters({ store }) });
      const response = await invoke(encodeInvocation({ ...request, adapter: { kind: "cat", sha256: catManifestSha256(sources), sources } }));
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: { code: "endpoint.internal", message: "internal error", details: {} } });
      expect(logged().map((line) => [line.requestId, line.name, line.code])).toEqual([["r-1", "AdapterError", "adapters.missing-object"]]);
      expect(segmenter.inputs).toHaveLength(0);
    } finally {
      await store.remove();
    }
  });

  it("logs each invocation as one JSON line with the request id the API sent in the envelope (none for an envelope it cannot read)", async () => {
    const { invoke, lines, segmenter } = setup();
    expect((await invoke(encodeInvocation(request))).status).toBe(200);
    expect((await invoke(encodeInvocation({ ...request, requestId: "req-from-api.2" }))).status).toBe(200);
    segmenter.failWith = new SemlaError("image.undecodable", "the image cannot be decoded", { rule: "undecodable" });
    expect((await invoke(encodeInvocation({ ...request, requestId: "req-3" }))).status).toBe(400);
    expect((await invoke("not an envelope")).status).toBe(400);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.every((line) => line.endsWith("\n") && !line.slice(0, -1).includes("\n"))).toBe(true);
    expect(parsed.map(({ level, msg, requestId, status }) => ({ level, msg, requestId, status }))).toEqual([
      { level: "info", msg: "invocation", requestId: "r-1", status: 200 },
      { level: "info", msg: "invocation", requestId: "req-from-api.2", status: 200 },
      { level: "info", msg: "invocation", requestId: "req-3", status: 400 },
      { level: "info", msg: "invocation", requestId: undefined, status: 400 },
    ]);
    expect(parsed.every((line) => typeof line.ms === "number" && typeof line.time === "string")).toBe(true);
  });

  it("answers unknown routes with 404 JSON", async () => {
    const { app } = setup();
    const response = await app.request("/models");
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ error: { code: "endpoint.not-found" } });
  });
});

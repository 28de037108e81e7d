import { randomUUID } from "node:crypto";
import { LIMITS, numpy } from "@semla/core";
import { rawEnvelope } from "@semla/endpoint/testing";
import { INVOCATION_CONTENT_TYPE } from "@semla/inference";
import { adapterObjectKey, libraryPrefix } from "@semla/storage";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient } from "./client.js";
import { type E2eStack, keysUnder, startE2eStack } from "./testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, noisePng, pngHeader, pngImage, tinyAdapterFiles } from "./testing/fixtures.js";

/**
 * The API end to end: a real HTTP server on PostgreSQL + pgvector and s3rver, inference through the
 * SageMaker SDK to the reference endpoint (tiny generated models). Each failure is asserted by its
 * exact status and code, and by what it left behind: no row, no object.
 */
const BODY_LIMIT = 256 * 1024;

describe("SemLA Serve API end to end", () => {
  let stack: E2eStack;
  let key: string;
  let otherKey: string;
  let dimension: number;
  let libraryId: string;
  const call = async (method: string, path: string, options: { key?: string; body?: unknown; raw?: NonNullable<RequestInit["body"]>; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...options.headers };
    let body: NonNullable<RequestInit["body"]> | undefined = options.raw;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${stack.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const errorCode = (reply: { body?: Record<string, any> }) => reply.body?.error?.code as string | undefined;
  const adapterRows = async (name?: string) => (await call("GET", `/v1/adapters?libraryId=${libraryId}${name ? `&name=${name}` : ""}`, { key })).body!.items as { id: string; name: string }[];

  beforeAll(async () => {
    stack = await startE2eStack({ postgresUrl: inject("postgresUrl"), s3Endpoint: inject("s3Endpoint"), bodyLimitBytes: BODY_LIMIT });
    ({ key } = await stack.tenant());
    ({ key: otherKey } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const created = await call("POST", "/v1/libraries", { key, body: { name: "street", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension } });
    expect(created.status).toBe(201);
    libraryId = created.body!.id;
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  describe("service routes", () => {
    it("GET /healthz answers without a key; every response carries a request id", async () => {
      const reply = await call("GET", "/healthz");
      expect(reply).toMatchObject({ status: 200, body: { status: "ok" } });
      expect(reply.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect((await call("GET", "/healthz", { headers: { "x-request-id": "trace-1" } })).headers.get("x-request-id")).toBe("trace-1");
    });

    it("GET /openapi.json documents every route, generated from the zod schemas", async () => {
      const reply = await call("GET", "/openapi.json");
      expect(reply.status).toBe(200);
      expect(Object.keys(reply.body!.paths).sort()).toEqual([
        "/healthz",
        "/readyz",
        "/v1/adapters",
        "/v1/adapters/uploads",
        "/v1/adapters/uploads/{id}/complete",
        "/v1/adapters/{id}",
        "/v1/adapters/{id}/files",
        "/v1/admin/keys",
        "/v1/admin/keys/{id}",
        "/v1/admin/sweep",
        "/v1/blobs/upload",
        "/v1/embed",
        "/v1/fuse",
        "/v1/jobs",
        "/v1/jobs/webhook-secret",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/items/{index}/mask",
        "/v1/libraries",
        "/v1/libraries/{id}",
        "/v1/models",
        "/v1/route",
        "/v1/segment",
        "/v1/stats/contributions",
        "/v1/stats/coverage",
        "/v1/uploads/images",
      ]);
      // Request bodies inline (a defaulted field is optional in a request), so generated types take the README's requests.
      expect(reply.body!.paths["/v1/segment"].post.requestBody.content["application/json"].schema.required).toEqual(["libraryId", "classNames"]);
      expect(reply.body!.paths["/v1/jobs"].post.requestBody.content["application/json"].schema.required).toEqual(["libraryId", "classNames"]);
      expect(Object.keys(reply.body!.paths["/v1/jobs"].post.responses).sort()).toEqual(["202", "400", "401", "404", "409", "413", "415", "429", "500", "503"]);
    });

    it("GET /v1/models states the served pack: the ids and dimension a library for it names, the modules adapters may target", async () => {
      const reply = await call("GET", "/v1/models", { key });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        name: "semla generated tiny",
        imageEncoder: { id: stack.models.imageEncoder.id, dimension: 16 },
        textEncoder: { kind: "onnx", dimension: 16, classes: null },
        segmenter: { id: stack.models.segmenter!.id, loraModules: stack.models.segmenter!.loraModules.map((m) => ({ name: m.name, in: m.inFeatures, out: m.outFeatures })) },
      });
      expect((await call("GET", "/v1/models")).status).toBe(401);
    });

    it("writes one structured JSON log line per request, with its id, status and tenant", async () => {
      await call("GET", "/v1/libraries", { key, headers: { "x-request-id": "log-probe" } });
      const line = stack.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === "log-probe");
      expect(line).toMatchObject({ level: "info", msg: "request", method: "GET", path: "/v1/libraries", status: 200, tenant: expect.stringMatching(/^tenant-/) });
    });

    it("refuses a missing or wrong API key (401) and unknown routes (404)", async () => {
      expect(errorCode(await call("GET", "/v1/libraries"))).toBe("api.missing-key");
      expect((await call("GET", "/v1/libraries")).status).toBe(401);
      const wrong = await call("GET", "/v1/libraries", { key: "semla_not-a-key" });
      expect([wrong.status, errorCode(wrong)]).toEqual([401, "api.invalid-key"]);
      const missing = await call("GET", "/v1/nothing", { key });
      expect([missing.status, errorCode(missing)]).toEqual([404, "api.not-found"]);
    });
  });

  describe("libraries", () => {
    it("creates, lists and gets a library; another tenant's is not found", async () => {
      const got = await call("GET", `/v1/libraries/${libraryId}`, { key });
      expect(got.body).toMatchObject({ id: libraryId, name: "street", dimension, metric: "euclidean" });
      expect((await call("GET", "/v1/libraries", { key })).body!.items.map((l: { id: string }) => l.id)).toContain(libraryId);
      const foreign = await call("GET", `/v1/libraries/${libraryId}`, { key: otherKey });
      expect([foreign.status, errorCode(foreign)]).toEqual([404, "registry.unknown-library"]);
      expect((await call("GET", "/v1/libraries", { key: otherKey })).body!.items).toEqual([]);
    });

    it("refuses bad JSON (400), a bad body (400), a duplicate name (409) and an oversized body (413)", async () => {
      const bad = await call("POST", "/v1/libraries", { key, raw: "{not json", headers: { "content-type": "application/json" } });
      expect([bad.status, errorCode(bad)]).toEqual([400, "api.malformed-json"]);
      const invalid = await call("POST", "/v1/libraries", { key, body: { name: "x", baseModelId: "b", embeddingModelId: "e", dimension: 0 } });
      expect([invalid.status, errorCode(invalid)]).toEqual([400, "api.invalid-request"]);
      expect(invalid.body!.error.details.issues[0].path).toEqual(["dimension"]);
      const duplicate = await call("POST", "/v1/libraries", { key, body: { name: "street", baseModelId: BASE_MODEL, embeddingModelId: "e", dimension } });
      expect([duplicate.status, errorCode(duplicate)]).toEqual([409, "registry.library-exists"]);
      const huge = await call("POST", "/v1/libraries", { key, raw: "x".repeat(BODY_LIMIT + 1), headers: { "content-type": "application/json" } });
      expect([huge.status, errorCode(huge)]).toEqual([413, "api.payload-too-large"]);
      const media = await call("POST", "/v1/libraries", { key, raw: "name=x", headers: { "content-type": "text/plain" } });
      expect([media.status, errorCode(media)]).toEqual([415, "api.unsupported-media-type"]);
      expect((await call("GET", "/v1/libraries", { key })).body!.items).toHaveLength(1);
    });
  });

  describe("adapters", () => {
    const post = (form: FormData, k = key) => call("POST", "/v1/adapters", { key: k, raw: form });

    it("registers an adapter from multipart files (centroid as .npy), idempotently, and pages the list", async () => {
      const files = tinyAdapterFiles(stack.models, 1);
      const npy = numpy.writeNpy([1, dimension], Float32Array.from(axis(dimension, 0)));
      const first = await post(adapterForm({ libraryId, name: "clear", files, centroid: { name: "centroid.npy", bytes: npy } }));
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ created: true, adapter: { name: "clear", version: 1, status: "active", rank: 2, libraryId } });
      const again = await post(adapterForm({ libraryId, name: "clear", files, centroid: JSON.stringify(axis(dimension, 0)) }));
      expect(again).toMatchObject({ status: 200, body: { created: false, adapter: { id: first.body!.adapter.id } } });
      const second = await post(adapterForm({ libraryId, name: "fog", files: tinyAdapterFiles(stack.models, 2), centroid: JSON.stringify(axis(dimension, 1)) }));
      expect(second.status).toBe(201);
      const page = await call("GET", `/v1/adapters?libraryId=${libraryId}&limit=1`, { key });
      expect(page.body!.items.map((a: { name: string }) => a.name)).toEqual(["fog"]);
      const rest = await call("GET", `/v1/adapters?libraryId=${libraryId}&limit=1&cursor=${page.body!.nextCursor}`, { key });
      expect(rest.body!.items.map((a: { name: string }) => a.name)).toEqual(["clear"]);
      expect((await call("GET", `/v1/adapters/${second.body!.adapter.id}`, { key })).body).toMatchObject({ name: "fog", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });

    it("computes the centroid from sample images with the service's CLIP encoder", async () => {
      const images = [
        { name: "a.png", bytes: await pngImage(40, 30, [200, 40, 40]) },
        { name: "b.png", bytes: await pngImage(30, 40, [190, 50, 30]) },
      ];
      const reply = await post(adapterForm({ libraryId, name: "dusk", files: tinyAdapterFiles(stack.models, 3), images }));
      expect(reply.status).toBe(201);
      expect(reply.body!.adapter.sampleCount).toBe(2);
    });

    it("refuses malformed safetensors, a non-image sample, a wrong centroid dimension: 400, nothing stored", async () => {
      const files = tinyAdapterFiles(stack.models, 4);
      const before = await keysUnder(stack.store, libraryPrefix(libraryId));
      const cases: [FormData, string][] = [
        [
          adapterForm({ libraryId, name: "broken", files: { config: files.config, weights: new TextEncoder().encode("not safetensors at all") }, centroid: JSON.stringify(axis(dimension, 2)) }),
          "safetensors.",
        ],
        [
          adapterForm({
            libraryId,
            name: "broken",
            files,
            images: [
              { name: "ok.png", bytes: await pngImage(8, 8, [1, 2, 3]) },
              { name: "x.png", bytes: new TextEncoder().encode("no image") },
            ],
          }),
          "image.",
        ],
        [adapterForm({ libraryId, name: "broken", files, images: [{ name: "x.png", bytes: new TextEncoder().encode("no image") }] }), "image.undecodable"],
        [adapterForm({ libraryId, name: "broken", files, centroid: JSON.stringify(axis(dimension + 1, 0)) }), "centroid.dimension-mismatch"],
        [adapterForm({ libraryId, name: "broken", files: { config: '{"peft_type": "LORA"}', weights: files.weights }, centroid: JSON.stringify(axis(dimension, 2)) }), "adapter."],
      ];
      for (const [form, code] of cases) {
        const reply = await post(form);
        expect(reply.status, code).toBe(400);
        expect(errorCode(reply)?.startsWith(code), `${errorCode(reply)} for ${code}`).toBe(true);
      }
      expect(await adapterRows("broken")).toEqual([]);
      expect(await keysUnder(stack.store, libraryPrefix(libraryId))).toEqual(before);
    });

    it("treats another tenant's adapter and library ids as not found, and deletes row then object", async () => {
      const reply = await post(adapterForm({ libraryId, name: "temp", files: tinyAdapterFiles(stack.models, 5), centroid: JSON.stringify(axis(dimension, 3)) }));
      const adapter = reply.body!.adapter as { id: string; version: number; sha256: string };
      const objectKey = adapterObjectKey({ libraryId, adapterId: adapter.id, version: adapter.version, sha256: adapter.sha256 });
      expect(await stack.store.head(objectKey)).toBeDefined();
      for (const [method, path] of [
        ["GET", `/v1/adapters/${adapter.id}`],
        ["DELETE", `/v1/adapters/${adapter.id}`],
      ] as const) {
        const foreign = await call(method, path, { key: otherKey });
        expect([foreign.status, errorCode(foreign)]).toEqual([404, "registry.unknown-adapter"]);
      }
      const foreignPost = await post(adapterForm({ libraryId, name: "intruder", files: tinyAdapterFiles(stack.models, 6), centroid: JSON.stringify(axis(dimension, 3)) }), otherKey);
      expect([foreignPost.status, errorCode(foreignPost)]).toEqual([404, "registry.unknown-library"]);
      expect((await call("GET", `/v1/adapters?libraryId=${libraryId}`, { key: otherKey })).body!.items).toEqual([]);
      expect((await call("DELETE", `/v1/adapters/${adapter.id}`, { key })).status).toBe(204);
      expect((await call("GET", `/v1/adapters/${adapter.id}`, { key })).status).toBe(404);
      expect(await stack.store.head(objectKey)).toBeUndefined();
    });

    it("takes adapters over the body limit by presigned upload; a bad upload leaves nothing behind", async () => {
      const big = tinyAdapterFiles(stack.models, 7, 128);
      expect(big.weights.byteLength).toBeGreaterThan(BODY_LIMIT);
      const tooLarge = await post(adapterForm({ libraryId, name: "big", files: big, centroid: JSON.stringify(axis(dimension, 4)) }));
      expect([tooLarge.status, errorCode(tooLarge)]).toEqual([413, "api.payload-too-large"]);

      const begin = async (weights: Uint8Array, k = key) =>
        call("POST", "/v1/adapters/uploads", {
          key: k,
          body: {
            libraryId,
            name: "big",
            config: JSON.parse(typeof big.config === "string" ? big.config : new TextDecoder().decode(big.config)),
            centroid: axis(dimension, 4),
            weightsBytes: weights.byteLength,
          },
        });
      const grant = await begin(big.weights);
      expect(grant.status).toBe(201);
      const early = await call("POST", `/v1/adapters/uploads/${grant.body!.uploadId}/complete`, { key });
      expect([early.status, errorCode(early)]).toEqual([400, "api.upload-missing"]);
      const put = await fetch(grant.body!.upload.url, { method: "PUT", headers: grant.body!.upload.headers, body: big.weights });
      expect(put.status).toBe(200);
      const foreign = await call("POST", `/v1/adapters/uploads/${grant.body!.uploadId}/complete`, { key: otherKey });
      expect([foreign.status, errorCode(foreign)]).toEqual([404, "api.not-found"]);
      const done = await call("POST", `/v1/adapters/uploads/${grant.body!.uploadId}/complete`, { key });
      expect(done).toMatchObject({ status: 201, body: { created: true, adapter: { name: "big", rank: 128, byteSize: big.weights.byteLength } } });

      const junk = new Uint8Array(BODY_LIMIT + 10).fill(7);
      const bad = await begin(junk);
      await fetch(bad.body!.upload.url, { method: "PUT", headers: bad.body!.upload.headers, body: junk });
      const refused = await call("POST", `/v1/adapters/uploads/${bad.body!.uploadId}/complete`, { key });
      expect(refused.status).toBe(400);
      expect(errorCode(refused)).toMatch(/^safetensors\./);
      expect(await keysUnder(stack.store, "uploads/")).toEqual([]);
      expect((await adapterRows("big")).length).toBe(1);

      const wrongDimension = await call("POST", "/v1/adapters/uploads", { key, body: { libraryId, name: "big", config: {}, centroid: [1, 2], weightsBytes: 10 } });
      expect(wrongDimension.status).toBe(400);
      expect(await keysUnder(stack.store, "uploads/")).toEqual([]);
    });
  });

  describe("inference through the pipeline and the SageMaker endpoint", () => {
    let image: Uint8Array;
    beforeAll(async () => {
      image = await pngImage(48, 32, [40, 120, 200]);
    });
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

    it("embeds an image; a non-image is a 400 that names it", async () => {
      const reply = await call("POST", "/v1/embed", { key, body: { image: b64(image) } });
      expect(reply.status).toBe(200);
      expect(reply.body!.dimension).toBe(dimension);
      expect(reply.body!.embedding).toHaveLength(dimension);
      const bad = await call("POST", "/v1/embed", { key, body: { image: b64(new TextEncoder().encode("plain text, not an image")) } });
      expect(bad.status).toBe(400);
      expect(errorCode(bad)).toMatch(/^image\./);
    });

    it("routes an embedding to the nearest adapters; wrong dimension and another tenant's library are refused", async () => {
      const reply = await call("POST", "/v1/route", { key, body: { libraryId, embedding: axis(dimension, 1), options: { k: 2 } } });
      expect(reply.status).toBe(200);
      expect(reply.body!.plan.adapters).toHaveLength(2);
      expect(reply.body!.contributions[0]).toMatchObject({ name: "fog", rank: 1, distance: 0 });
      const wrong = await call("POST", "/v1/route", { key, body: { libraryId, embedding: [1, 2, 3] } });
      expect(wrong.status).toBe(400);
      const foreign = await call("POST", "/v1/route", { key: otherKey, body: { libraryId, embedding: axis(dimension, 1) } });
      expect([foreign.status, errorCode(foreign)]).toEqual([404, "registry.unknown-library"]);
    });

    it("segments in every mode with the typed client; the mask is a PNG of the image's size; contributions are recorded", async () => {
      const client = createClient(stack.url, key);
      const response = await client.v1.segment.$post({ json: { libraryId, image: b64(image), classNames: ["sky", "road", "car"], options: { k: 3 } } });
      expect(response.status).toBe(200);
      const result = await response.json();
      if (!("mask" in result)) throw new Error("no mask");
      expect(result.mode).toBe("semla");
      const mask = await sharp(Buffer.from(result.mask, "base64")).metadata();
      expect([mask.format, mask.width, mask.height, result.width, result.height]).toEqual(["png", 48, 32, 48, 32]);
      expect(result.scores.map((s) => s.className)).toEqual(["sky", "road", "car"]);
      expect(result.plan?.adapters.map((a) => a.id)).toEqual(result.contributions.map((c) => c.adapterId));
      expect(Object.keys(result.timings.stages)).toEqual(expect.arrayContaining(["embed", "infer", "total"]));

      const zeroshot = await call("POST", "/v1/segment", { key, body: { libraryId, image: b64(image), classNames: ["sky"], options: { mode: "zeroshot" } } });
      expect(zeroshot).toMatchObject({ status: 200, body: { mode: "zeroshot", plan: null, contributions: [] } });
      const oracle = await call("POST", "/v1/segment", { key, body: { libraryId, image: b64(image), classNames: ["sky", "road"], options: { mode: "adapter", adapter: "fog" } } });
      expect(oracle.body!.contributions).toMatchObject([{ name: "fog", weight: 1 }]);
      const linear = await call("POST", "/v1/segment", {
        key,
        body: { libraryId, image: b64(image), classNames: ["sky", "road"], options: { mode: "uniform", k: 2, fusion: { combination: "svd" } } },
      });
      expect(linear).toMatchObject({ status: 200, body: { mode: "uniform", fusion: { combination: "svd" } } });

      const stats = await call("GET", `/v1/stats/contributions?libraryId=${libraryId}`, { key });
      expect(stats.status).toBe(200);
      expect(stats.body!.requests).toBe(3);
      const fog = stats.body!.adapters.find((a: { name: string }) => a.name === "fog");
      const fogWeights = [...result.contributions, ...oracle.body!.contributions, ...linear.body!.contributions]
        .filter((c: { name: string }) => c.name === "fog")
        .map((c: { weight: number }) => c.weight);
      expect(fog.uses).toBe(fogWeights.length);
      expect(fog.totalWeight).toBeCloseTo(
        fogWeights.reduce((a: number, b: number) => a + b, 0),
        12,
      );
      const foreign = await call("GET", `/v1/stats/contributions?libraryId=${libraryId}`, { key: otherKey });
      expect([foreign.status, errorCode(foreign)]).toEqual([404, "registry.unknown-library"]);
    });

    it("takes an image over the payload limit by presigned upload, once; bad segment input is refused", async () => {
      const large = await noisePng(400, 300);
      expect(large.byteLength).toBeGreaterThan(BODY_LIMIT);
      const grant = await call("POST", "/v1/uploads/images", { key, body: { bytes: large.byteLength } });
      expect(grant.status).toBe(201);
      await fetch(grant.body!.upload.url, { method: "PUT", headers: grant.body!.upload.headers, body: large });
      const foreign = await call("POST", "/v1/segment", { key: otherKey, body: { libraryId, imageUpload: grant.body!.uploadId, classNames: ["a"] } });
      expect(foreign.status).toBe(404);
      const reply = await call("POST", "/v1/segment", { key, body: { libraryId, imageUpload: grant.body!.uploadId, classNames: ["field", "sky"] } });
      expect(reply).toMatchObject({ status: 200, body: { width: 400, height: 300 } });
      expect(await keysUnder(stack.store, "uploads/")).toEqual([]);
      // A refused upload is used up too: nothing stays behind.
      const junk = new TextEncoder().encode("not an image, uploaded anyway");
      const junkGrant = await call("POST", "/v1/uploads/images", { key, body: { bytes: junk.byteLength } });
      await fetch(junkGrant.body!.upload.url, { method: "PUT", headers: junkGrant.body!.upload.headers, body: junk });
      const refused = await call("POST", "/v1/embed", { key, body: { imageUpload: junkGrant.body!.uploadId } });
      expect(refused.status).toBe(400);
      expect(errorCode(refused)).toMatch(/^image\./);
      expect(await keysUnder(stack.store, "uploads/")).toEqual([]);

      const noClasses = await call("POST", "/v1/segment", { key, body: { libraryId, image: b64(image), classNames: [] } });
      expect([noClasses.status, errorCode(noClasses)]).toEqual([400, "segment.no-classes"]);
      const noImage = await call("POST", "/v1/segment", { key, body: { libraryId, classNames: ["a"] } });
      expect([noImage.status, errorCode(noImage)]).toEqual([400, "api.invalid-request"]);
      const badMode = await call("POST", "/v1/segment", { key, body: { libraryId, image: b64(image), classNames: ["a"], options: { mode: "adapter" } } });
      expect([badMode.status, errorCode(badMode)]).toEqual([400, "api.invalid-request"]);
      for (const malformed of [b64(image).slice(0, -1), `${b64(image).slice(0, 8)}\n${b64(image).slice(8)}`, `-_${b64(image).slice(2)}`]) {
        const notBase64 = await call("POST", "/v1/segment", { key, body: { libraryId, image: malformed, classNames: ["a"] } });
        expect([notBase64.status, errorCode(notBase64), notBase64.body!.error.details.issues[0].path]).toEqual([400, "api.invalid-request", ["image"]]);
      }
      const notImage = await call("POST", "/v1/segment", { key, body: { libraryId, image: b64(new TextEncoder().encode("hello")), classNames: ["a"] } });
      expect(notImage.status).toBe(400);
      expect(errorCode(notImage)).toMatch(/^image\./);
      expect((await call("GET", `/v1/stats/contributions?libraryId=${libraryId}`, { key })).body!.requests).toBe(4);
    });
  });
  describe("bounds: every number a request controls (issue 11)", () => {
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
    let image: Uint8Array;
    beforeAll(async () => {
      image = await pngImage(48, 32, [40, 120, 200]);
    });
    const segment = (body: Record<string, unknown>) => call("POST", "/v1/segment", { key, body: { libraryId, image: b64(image), classNames: ["sky", "road"], ...body } });
    const firstIssue = (reply: { body?: Record<string, any> }) => reply.body!.error.details.issues[0] as { path: string[]; code: string; maximum?: number; minimum?: number };

    it("refuses svd rank 300000 and 1000000 (the probe's requests) with 400 naming the bound; nothing is fused or stored", async () => {
      const before = await keysUnder(stack.store, "");
      for (const rank of [300_000, 1_000_000]) {
        const reply = await segment({ options: { k: 2, fusion: { combination: "svd", rank } } });
        expect([reply.status, errorCode(reply)]).toEqual([400, "api.invalid-request"]);
        expect(firstIssue(reply)).toMatchObject({ path: ["options", "fusion", "rank"], code: "too_big", maximum: LIMITS.svdRank });
        expect(reply.body!.error.message).toContain(`options.fusion.rank: Too big: expected number to be <=${LIMITS.svdRank}`);
      }
      // Within LIMITS.svdRank but over min(in, out) of the model's smallest module: refused by fusion, naming the module.
      const smallest = Math.min(...stack.models.segmenter!.loraModules.map((m) => Math.min(m.inFeatures, m.outFeatures)));
      expect(smallest).toBeLessThan(LIMITS.svdRank);
      const overModule = await segment({ options: { k: 2, fusion: { combination: "svd", rank: smallest + 1 } } });
      expect([overModule.status, errorCode(overModule)]).toEqual([400, "fusion.rank-too-large"]);
      expect(overModule.body!.error.details).toMatchObject({ rank: smallest + 1, max: smallest, module: expect.any(String) });
      expect(await keysUnder(stack.store, "")).toEqual(before);
      expect((await segment({ options: { k: 2, fusion: { combination: "svd", rank: smallest } } })).status).toBe(200);
    });

    it("answers a 39000000×1 PNG with 413 image.too-large naming the side and the limit, from its header alone", async () => {
      const strip = pngHeader(39_000_000, 1);
      const details = { rule: "too-large", width: 39_000_000, height: 1, side: "width", limit: LIMITS.imageSide };
      const message = `Image is 39000000×1: its width 39000000 is over the limit of ${LIMITS.imageSide} pixels`;
      // The embedder (the first stage to read the image) names it by its index in the batch.
      for (const reply of [await segment({ image: b64(strip) }), await call("POST", "/v1/embed", { key, body: { image: b64(strip) } })]) {
        expect([reply.status, reply.body!.error]).toEqual([413, { code: "image.too-large", message: `image 0: ${message}`, details: { ...details, index: 0 } }]);
      }
    });

    it("answers a too-large sample image with 413 image.too-large naming the image (not embed.no-images); nothing is stored", async () => {
      const before = await keysUnder(stack.store, "");
      const reply = await call("POST", "/v1/adapters", {
        key,
        raw: adapterForm({ libraryId, name: "strip", files: tinyAdapterFiles(stack.models, 21), images: [{ name: "strip.png", bytes: pngHeader(39_000_000, 1) }] }),
      });
      expect([reply.status, errorCode(reply)]).toEqual([413, "image.too-large"]);
      expect(reply.body!.error.details).toMatchObject({ image: "strip.png", width: 39_000_000, side: "width", limit: LIMITS.imageSide });
      expect(await adapterRows("strip")).toEqual([]);
      expect(await keysUnder(stack.store, "")).toEqual(before);
    });

    it("refuses more than LIMITS.sampleImages sample images before decoding any; nothing is stored", async () => {
      const before = await keysUnder(stack.store, "");
      const tiny = await pngImage(2, 2, [10, 20, 30]);
      const images = Array.from({ length: LIMITS.sampleImages + 1 }, (_, i) => ({ name: `s${i}.png`, bytes: tiny }));
      const reply = await call("POST", "/v1/adapters", { key, raw: adapterForm({ libraryId, name: "many-samples", files: tinyAdapterFiles(stack.models, 22), images }) });
      expect([reply.status, errorCode(reply), reply.body!.error.details.issues?.[0]?.path]).toEqual([400, "api.invalid-request", ["images"]]);
      expect(await adapterRows("many-samples")).toEqual([]);
      expect(await keysUnder(stack.store, "")).toEqual(before);
    });

    it("refuses duplicate class names with 400 segment.duplicate-class-name naming the name, from the API and the endpoint alike", async () => {
      const reply = await segment({ classNames: ["road", "sky", "road"] });
      expect(reply.status).toBe(400);
      expect(reply.body!.error).toEqual({
        code: "segment.duplicate-class-name",
        message: 'class name "road" is given twice (at 0 and 2)',
        details: { rule: "duplicate-class-name", name: "road", indices: [0, 2] },
      });
      const tooMany = await segment({ classNames: Array.from({ length: LIMITS.classes + 1 }, (_, i) => `class ${i}`) });
      expect([tooMany.status, errorCode(tooMany), tooMany.body!.error.details.max]).toEqual([400, "segment.too-many-classes", LIMITS.classes]);
      const tooLong = await segment({ classNames: ["sky", "a".repeat(LIMITS.className + 1)] });
      expect([tooLong.status, errorCode(tooLong), tooLong.body!.error.details.index]).toEqual([400, "segment.class-name-too-long", 1]);

      // The endpoint, sent the same list (an envelope made by hand: the API's client would refuse to encode it).
      const envelope = rawEnvelope({ version: 1, classNames: ["road", "sky", "road"], adapter: { kind: "none" }, imageByteLength: image.byteLength, weightsByteLength: 0 }, image);
      const endpoint = await fetch(`${stack.env.SEMLA_SAGEMAKER_URL}/endpoints/semla/invocations`, { method: "POST", headers: { "content-type": INVOCATION_CONTENT_TYPE }, body: envelope });
      expect(endpoint.status).toBe(400);
      expect(await endpoint.json()).toEqual({ error: reply.body!.error });
    });

    it("accepts each API bound at its limit and refuses one past it, at the field's path", async () => {
      const { key: fresh } = await stack.tenant();
      const library = { name: "a".repeat(LIMITS.libraryName), baseModelId: "b".repeat(LIMITS.modelId), embeddingModelId: "e".repeat(LIMITS.modelId), dimension: LIMITS.dimension };
      expect((await call("POST", "/v1/libraries", { key: fresh, body: library })).status).toBe(201);
      const nowhere = randomUUID();
      const upload = { libraryId: nowhere, name: "n", config: {}, centroid: new Array(LIMITS.dimension).fill(0), weightsBytes: LIMITS.adapterUploadBytes, sampleCount: LIMITS.sampleCount };
      // An unknown library answers after the body was accepted: 404 shows the limits passed.
      expect(errorCode(await call("POST", "/v1/adapters/uploads", { key: fresh, body: upload }))).toBe("registry.unknown-library");
      expect(errorCode(await call("POST", "/v1/route", { key: fresh, body: { libraryId: nowhere, embedding: new Array(LIMITS.dimension).fill(0) } }))).toBe("registry.unknown-library");
      expect((await call("GET", `/v1/adapters?limit=${LIMITS.listPage}`, { key: fresh })).status).toBe(200);
      expect((await call("POST", "/v1/uploads/images", { key: fresh, body: { bytes: LIMITS.imageUploadBytes } })).status).toBe(201);

      const refusals: [string, ReturnType<typeof call>, string[]][] = [
        ["library name", call("POST", "/v1/libraries", { key: fresh, body: { ...library, name: "a".repeat(LIMITS.libraryName + 1) } }), ["name"]],
        ["base model id", call("POST", "/v1/libraries", { key: fresh, body: { ...library, name: "x", baseModelId: "b".repeat(LIMITS.modelId + 1) } }), ["baseModelId"]],
        ["embedding model id", call("POST", "/v1/libraries", { key: fresh, body: { ...library, name: "x", embeddingModelId: "e".repeat(LIMITS.modelId + 1) } }), ["embeddingModelId"]],
        ["dimension", call("POST", "/v1/libraries", { key: fresh, body: { ...library, name: "x", dimension: LIMITS.dimension + 1 } }), ["dimension"]],
        ["upload centroid", call("POST", "/v1/adapters/uploads", { key: fresh, body: { ...upload, centroid: new Array(LIMITS.dimension + 1).fill(0) } }), ["centroid"]],
        ["upload weights", call("POST", "/v1/adapters/uploads", { key: fresh, body: { ...upload, weightsBytes: LIMITS.adapterUploadBytes + 1 } }), ["weightsBytes"]],
        ["upload sample count", call("POST", "/v1/adapters/uploads", { key: fresh, body: { ...upload, sampleCount: LIMITS.sampleCount + 1 } }), ["sampleCount"]],
        ["route embedding", call("POST", "/v1/route", { key: fresh, body: { libraryId: nowhere, embedding: new Array(LIMITS.dimension + 1).fill(0) } }), ["embedding"]],
        ["list page", call("GET", `/v1/adapters?limit=${LIMITS.listPage + 1}`, { key: fresh }), ["limit"]],
        ["image upload", call("POST", "/v1/uploads/images", { key: fresh, body: { bytes: LIMITS.imageUploadBytes + 1 } }), ["bytes"]],
        ["k", call("POST", "/v1/route", { key: fresh, body: { libraryId: nowhere, embedding: [0], options: { k: LIMITS.k + 1 } } }), ["options", "k"]],
        ["efSearch", call("POST", "/v1/route", { key: fresh, body: { libraryId: nowhere, embedding: [0], options: { efSearch: LIMITS.efSearch + 1 } } }), ["options", "efSearch"]],
      ];
      for (const [what, pending, path] of refusals) {
        const reply = await pending;
        expect([reply.status, errorCode(reply), firstIssue(reply).path], what).toEqual([400, "api.invalid-request", path]);
        expect(firstIssue(reply).code, what).toBe("too_big");
      }
    });
  });
});

import { InferenceComponentCapacity } from "@semla/endpoint/testing";
import { SAGEMAKER_NO_CAPACITY_MESSAGE } from "@semla/inference/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient, SCALING_FROM_ZERO, waitForCapacity } from "./client.js";
import { type E2eStack, keysUnder, startE2eStack } from "./testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, pngImage, tinyAdapterFiles } from "./testing/fixtures.js";

/**
 * Issue 19: the endpoint hosts the segmenter as an inference component scaled to zero. Its SageMaker
 * front refuses invocations as SageMaker does while the component has no copies, then "scales out".
 * The API answers segment requests 503 backend.scaling-from-zero at once (Retry-After, the endpoint's
 * state), embeds and routes meanwhile (they run in the API), and serves once the GPU is back, with
 * nothing lost (an uploaded image kept for the retry) and nothing counted twice.
 */
describe("the GPU scaled to zero, through the HTTP API", () => {
  const COMPONENT = "semla-segmenter";
  let stack: E2eStack;
  let key: string;
  let libraryId: string;
  let dimension: number;
  let image: Uint8Array;
  const capacity = new InferenceComponentCapacity(0);
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const segment = (input: { image: string } | { imageUpload: string }) => call("POST", "/v1/segment", { libraryId, ...input, classNames: ["sky", "road"], options: { k: 2 } });
  const requestsRecorded = async () => (await call("GET", `/v1/stats/contributions?libraryId=${libraryId}`)).body!.requests as number;

  beforeAll(async () => {
    stack = await startE2eStack({
      postgresUrl: inject("postgresUrl"),
      s3Endpoint: inject("s3Endpoint"),
      // Three attempts would be spent on throttling or a 5xx; none may be spent on a cold GPU.
      env: { SEMLA_BACKEND_MAX_ATTEMPTS: "3", SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS: "42" },
      inferenceComponent: { name: COMPONENT, capacity },
    });
    ({ key } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const created = await call("POST", "/v1/libraries", { name: "street", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension });
    libraryId = created.body!.id;
    for (const [i, name] of ["clear", "fog"].entries()) {
      const form = adapterForm({ libraryId, name, files: tinyAdapterFiles(stack.models, i + 1), centroid: JSON.stringify(axis(dimension, i)) });
      const uploaded = await fetch(`${stack.url}/v1/adapters`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
      expect(uploaded.status).toBe(201);
    }
    image = await pngImage(48, 32, [40, 120, 200]);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("answers segment 503 backend.scaling-from-zero at once, with Retry-After and the endpoint's state, after one invocation", async () => {
    capacity.scaleToZero(1);
    const reply = await segment({ image: b64(image) });
    expect(reply.status).toBe(503);
    expect(reply.retryAfter).toBe("42");
    expect(reply.body).toEqual({
      error: {
        code: SCALING_FROM_ZERO,
        message: `endpoint semla (inference component ${COMPONENT}) has no GPU capacity: it is scaling from zero, which takes minutes; retry in 42 s (SageMaker: ${SAGEMAKER_NO_CAPACITY_MESSAGE})`,
        details: { rule: "scaling-from-zero", endpointName: "semla", inferenceComponentName: COMPONENT, state: "scaling-from-zero", retryAfterSeconds: 42, status: 400 },
      },
    });
    // One invocation (it is what SageMaker counts to scale out), not SEMLA_BACKEND_MAX_ATTEMPTS of them; it named the component.
    expect([capacity.refused, capacity.served]).toEqual([1, 0]);
    expect(capacity.named).toEqual([COMPONENT]);
    expect(await requestsRecorded()).toBe(0);
  });

  it("embeds and routes while the GPU is away: they run in the API", async () => {
    capacity.scaleToZero(5);
    const embedded = await call("POST", "/v1/embed", { image: b64(image) });
    expect([embedded.status, embedded.body!.dimension]).toEqual([200, dimension]);
    const routed = await call("POST", "/v1/route", { libraryId, image: b64(image), options: { k: 2 } });
    expect(routed.status).toBe(200);
    expect(routed.body!.contributions.map((c: { name: string }) => c.name).sort()).toEqual(["clear", "fog"]);
    expect(capacity.copies).toBe(0);
    expect(capacity.refused).toBe(1);
  });

  it("keeps an uploaded image through the 503s, and serves it once a copy is back, counted once", async () => {
    capacity.scaleToZero(2);
    const grant = await call("POST", "/v1/uploads/images", { bytes: image.byteLength });
    expect(grant.status).toBe(201);
    expect((await fetch(grant.body!.upload.url, { method: "PUT", headers: grant.body!.upload.headers, body: image })).status).toBe(200);
    const before = await requestsRecorded();
    for (let i = 0; i < 2; i++) {
      const reply = await segment({ imageUpload: grant.body!.uploadId });
      expect([reply.status, reply.body!.error.code, reply.retryAfter]).toEqual([503, SCALING_FROM_ZERO, "42"]);
    }
    const id = grant.body!.uploadId as string;
    expect((await keysUnder(stack.store, "uploads/")).sort()).toEqual([`uploads/${id}/file`, `uploads/${id}/upload.json`]);
    const served = await segment({ imageUpload: grant.body!.uploadId });
    expect(served).toMatchObject({ status: 200, body: { mode: "semla", width: 48, height: 32 } });
    expect(await keysUnder(stack.store, "uploads/")).toEqual([]);
    expect(await requestsRecorded()).toBe(before + 1);
    expect(capacity.copies).toBe(1);
  });

  it("a client given waitForCapacity waits the Retry-After and gets the mask, with one progress report per 503", async () => {
    capacity.scaleToZero(1);
    const waits: number[] = [];
    let slept = 0;
    const client = createClient(stack.url, key, {
      fetch: waitForCapacity(fetch, {
        deadlineMs: 600_000,
        onWait: (w) => waits.push(w.retryInMs),
        // The 42 s the API asks for, not waited here.
        clock: {
          now: () => slept,
          sleep: async (ms) => {
            slept += ms;
          },
        },
      }),
    });
    const response = await client.v1.segment.$post({ json: { libraryId, image: b64(image), classNames: ["sky"], options: { mode: "zeroshot" } } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ mode: "zeroshot", width: 48, height: 32 });
    expect(waits).toEqual([42_000]);
  });
});

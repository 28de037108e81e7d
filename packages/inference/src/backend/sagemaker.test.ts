import { createAdapters } from "@semla/adapters";
import { errorReplyOf } from "@semla/core";
import { afterEach, describe, expect, it } from "vitest";
import { noCapacityReply } from "../testing/sagemaker-no-capacity.js";
import { type Reply, type ScriptedServer, scriptedServer } from "../testing/sagemaker-server.js";
import { ONE_PIXEL_PNG } from "../testing/transport.js";
import { decodeInvocation } from "../transport/envelope.js";
import { encodeInferenceResponse } from "../transport/response.js";
import type { InferenceRequest, InferenceResponse } from "../types.js";
import { BackendError } from "./errors.js";
import { backoffDelay } from "./retry.js";
import { createSageMakerBackend, type SageMakerBackendOptions } from "./sagemaker.js";

const request: InferenceRequest = { image: new Uint8Array([1, 2, 3, 4]), classNames: ["road", "sky"], mixture: null, requestId: "req-7" };
const { mixture: _, ...invocation } = { ...request, adapter: { kind: "none" as const } };
const response: InferenceResponse = {
  maskPng: ONE_PIXEL_PNG,
  width: 1,
  height: 1,
  scores: [{ className: "road", pixelFraction: 1, meanProbability: 0.9 }],
  timings: { totalMs: 12 },
  adapter: { kind: "none", sha256: null, cached: false },
};
const ok: Reply = { status: 200, body: encodeInferenceResponse(response) };
const reported = (status: number, code: string, message: string): Reply => ({ status, body: JSON.stringify({ error: { code, message, details: { field: "classNames" } } }) });

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function backendFor(script: readonly Reply[], options: Partial<SageMakerBackendOptions> = {}) {
  server = await scriptedServer(script);
  return createSageMakerBackend({
    endpointName: "semla-test",
    adapters: createAdapters(),
    region: "us-east-1",
    endpoint: server.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    retryBaseDelayMs: 5,
    ...options,
  });
}

describe("SageMaker backend", () => {
  it("invokes the endpoint with the envelope and reads the JSON answer", async () => {
    const backend = await backendFor([ok], { inferenceComponentName: "semla-ic" });
    expect(await backend.infer(request)).toEqual({ ...response, fusion: null });
    expect(server!.requests).toHaveLength(1);
    const sent = server!.requests[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/endpoints/semla-test/invocations");
    expect(sent.headers["content-type"]).toBe("application/x-semla-invocation");
    expect(sent.headers.accept).toBe("application/json");
    expect(sent.headers["x-amzn-sagemaker-inference-component"]).toBe("semla-ic");
    expect(decodeInvocation(sent.body)).toEqual(invocation);
    await backend.close();
  });

  it("retries 503 and 429 with backoff, then succeeds", async () => {
    const backend = await backendFor([{ status: 503, body: "overloaded" }, { status: 429, headers: { "x-amzn-errortype": "ThrottlingException" }, body: '{"message":"slow down"}' }, ok]);
    expect(await backend.infer(request)).toEqual({ ...response, fusion: null });
    expect(server!.requests).toHaveLength(3);
  });

  it("gives up after maxAttempts with backend.unavailable", async () => {
    const backend = await backendFor([reported(503, "endpoint.not-ready", "the models are loading")], { maxAttempts: 4 });
    await expect(backend.infer(request)).rejects.toMatchObject({
      code: "backend.unavailable",
      message: "endpoint semla-test failed (HTTP 503): the models are loading (after 4 attempts)",
      details: expect.objectContaining({ status: 503, attempts: 4, endpointCode: "endpoint.not-ready" }),
    });
    expect(server!.requests).toHaveLength(4);
  });

  it("does not retry a 4xx, and keeps the code and message the endpoint reported", async () => {
    const backend = await backendFor([reported(400, "transport.invalid-invocation", "classNames: at least one class name is required"), ok]);
    await expect(backend.infer(request)).rejects.toMatchObject({
      code: "transport.invalid-invocation",
      message: "classNames: at least one class name is required",
      details: { field: "classNames" },
      status: 400,
    });
    expect(server!.requests).toHaveLength(1);
  });

  it("reads the container's error out of a SageMaker ModelError", async () => {
    const original = JSON.stringify({ error: { code: "adapter-reference.integrity", message: "bad sha", details: {} } });
    const modelError: Reply = {
      status: 424,
      headers: { "x-amzn-errortype": "ModelError" },
      body: JSON.stringify({ Message: "Received client error (400) from primary", OriginalStatusCode: 400, OriginalMessage: original }),
    };
    const backend = await backendFor([modelError]);
    await expect(backend.infer(request)).rejects.toMatchObject({ code: "adapter-reference.integrity", message: "bad sha", status: 400 });
    expect(server!.requests).toHaveLength(1);
  });

  it("maps a 4xx without the endpoint's error shape to backend.rejected", async () => {
    const backend = await backendFor([{ status: 400, headers: { "x-amzn-errortype": "ValidationError" }, body: '{"message":"Endpoint semla-test of account 1 not found."}' }]);
    await expect(backend.infer(request)).rejects.toMatchObject({
      code: "backend.rejected",
      message: "endpoint semla-test refused the request (HTTP 400): Endpoint semla-test of account 1 not found.",
    });
    expect(server!.requests).toHaveLength(1);
  });

  it("answers SageMaker's no-capacity ValidationError at once with backend.scaling-from-zero (503, Retry-After), never retrying it, then serves once a copy is back", async () => {
    const backend = await backendFor([noCapacityReply(), ok], { inferenceComponentName: "semla-ic", maxAttempts: 3, scaleFromZeroRetryAfterSeconds: 45 });
    const refused = await backend.infer(request).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BackendError);
    expect(refused).toMatchObject({
      code: "backend.scaling-from-zero",
      kind: "unavailable",
      message:
        "endpoint semla-test (inference component semla-ic) has no GPU capacity: it is scaling from zero, which takes minutes; retry in 45 s " +
        "(SageMaker: Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.)",
      details: { rule: "scaling-from-zero", endpointName: "semla-test", inferenceComponentName: "semla-ic", state: "scaling-from-zero", retryAfterSeconds: 45, status: 400 },
    });
    // One invocation: the policy's three attempts are not spent on a GPU that takes minutes.
    expect(server!.requests).toHaveLength(1);
    expect(server!.requests[0]!.headers["x-amzn-sagemaker-inference-component"]).toBe("semla-ic");
    const reply = errorReplyOf(refused, "api.internal");
    expect([reply.status, reply.retryAfter, reply.internal]).toEqual([503, 45, false]);
    expect(await backend.infer(request)).toEqual({ ...response, fusion: null });
    expect(server!.requests).toHaveLength(2);
  });

  it("tells clients to retry after 30 s by default, and names no inference component when none is configured", async () => {
    const backend = await backendFor([noCapacityReply()]);
    await expect(backend.infer(request)).rejects.toMatchObject({
      code: "backend.scaling-from-zero",
      message: expect.stringMatching(/^endpoint semla-test has no GPU capacity: it is scaling from zero, which takes minutes; retry in 30 s \(SageMaker: /),
      details: expect.objectContaining({ inferenceComponentName: null, retryAfterSeconds: 30 }),
    });
  });

  it("keeps every other ValidationError a refused request, and a container's own 'no capacity' its own error: only SageMaker's answer means a cold GPU", async () => {
    const missingHeader =
      "Inference Component Name header is required for endpoints to which you plan to deploy inference components. Please include Inference Component Name header or consider using SageMaker models.";
    const backend = await backendFor([
      { status: 400, headers: { "x-amzn-errortype": "ValidationError" }, body: JSON.stringify({ message: missingHeader }) },
      {
        status: 424,
        headers: { "x-amzn-errortype": "ModelError" },
        body: JSON.stringify({ Message: "Received client error (400) from primary", OriginalStatusCode: 400, OriginalMessage: "no capacity left in the queue" }),
      },
    ]);
    await expect(backend.infer(request)).rejects.toMatchObject({ code: "backend.rejected", message: `endpoint semla-test refused the request (HTTP 400): ${missingHeader}` });
    await expect(backend.infer(request)).rejects.toMatchObject({ code: "backend.rejected", message: "endpoint semla-test refused the request (HTTP 400): no capacity left in the queue" });
    expect(server!.requests).toHaveLength(2);
  });

  it("refuses a Retry-After that is not a whole number of seconds", () => {
    for (const seconds of [0, 2.5, -1]) {
      expect(() => createSageMakerBackend({ endpointName: "e", adapters: createAdapters(), scaleFromZeroRetryAfterSeconds: seconds })).toThrow(
        new RangeError(`scaleFromZeroRetryAfterSeconds must be a positive integer, got ${seconds}`),
      );
    }
  });

  it("refuses a payload over the limit before sending anything", async () => {
    const backend = await backendFor([ok], { payloadLimitBytes: 100 });
    const big = { ...request, image: new Uint8Array(200) };
    const bytes = 4 + JSON.stringify({ version: 1, requestId: "req-7", classNames: ["road", "sky"], adapter: { kind: "none" }, imageByteLength: 200, weightsByteLength: 0 }).length + 200;
    await expect(backend.infer(big)).rejects.toMatchObject({
      code: "backend.payload-too-large",
      message: `the invocation is ${bytes} bytes, over the 100-byte limit of a SageMaker real-time request; the image must be smaller, and large adapters go by reference (a cat manifest or the object store), not inline`,
      details: expect.objectContaining({ bytes, limit: 100 }),
    });
    expect(server!.requests).toHaveLength(0);
  });

  it("refuses an invalid request before sending anything", async () => {
    const backend = await backendFor([ok]);
    await expect(backend.infer({ ...request, classNames: [] })).rejects.toMatchObject({ code: "segment.no-classes" });
    await expect(backend.infer({ ...request, requestId: "a b" })).rejects.toMatchObject({ code: "transport.invalid-invocation" });
    expect(server!.requests).toHaveLength(0);
  });

  it("times out with backend.timeout, without retrying", async () => {
    const backend = await backendFor(["hang"], { timeoutMs: 300 });
    const started = performance.now();
    await expect(backend.infer(request)).rejects.toMatchObject({
      code: "backend.timeout",
      message: "endpoint semla-test did not answer within 300 ms (attempt 1)",
    });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(server!.requests).toHaveLength(1);
  });

  it("maps an unreadable 200 to backend.invalid-response", async () => {
    const backend = await backendFor([{ status: 200, body: '{"maskPng":"nope"}' }]);
    await expect(backend.infer(request)).rejects.toMatchObject({
      code: "backend.invalid-response",
      message: expect.stringContaining("endpoint semla-test sent an unreadable response: invalid inference response"),
    });
  });

  it("retries an endpoint it cannot reach, then reports it unavailable", async () => {
    const backend = await backendFor([ok], { maxAttempts: 2 });
    await server!.close();
    await expect(backend.infer(request)).rejects.toMatchObject({ code: "backend.unavailable", message: expect.stringMatching(/^endpoint semla-test cannot be reached: .* \(after 2 attempts\)$/) });
  });

  it("stops when the caller aborts", async () => {
    const backend = await backendFor(["hang"]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("client went away")), 100);
    await expect(backend.infer(request, { signal: controller.signal })).rejects.toThrow("client went away");
  });
});

describe("SageMaker backend metrics", () => {
  /** What the backend reported, in order. */
  function recorder() {
    const events: string[] = [];
    return {
      events,
      metrics: { backendRetry: () => events.push("retry"), backendTimeout: () => events.push("timeout"), adapterBytes: (bytes: number) => events.push(`bytes ${bytes}`) },
    };
  }

  it("counts each retry (not the attempt that answers), and nothing moved for a request without an adapter", async () => {
    const { events, metrics } = recorder();
    const backend = await backendFor([{ status: 503, body: "overloaded" }, { status: 429, headers: { "x-amzn-errortype": "ThrottlingException" }, body: "{}" }, ok], { metrics });
    await backend.infer(request);
    expect(events).toEqual(["retry", "retry"]);
  });

  it("counts retries up to giving up: maxAttempts - 1 of them", async () => {
    const { events, metrics } = recorder();
    const backend = await backendFor([reported(503, "endpoint.not-ready", "loading")], { maxAttempts: 3, metrics });
    await expect(backend.infer(request)).rejects.toMatchObject({ code: "backend.unavailable" });
    expect(events).toEqual(["retry", "retry"]);
  });

  it("counts a time-out once (it is never retried), and a refused request not at all", async () => {
    const timedOut = recorder();
    await expect((await backendFor(["hang"], { timeoutMs: 200, metrics: timedOut.metrics })).infer(request)).rejects.toMatchObject({ code: "backend.timeout" });
    expect(timedOut.events).toEqual(["timeout"]);
    await server?.close();
    const refused = recorder();
    await expect((await backendFor([reported(400, "transport.invalid-invocation", "no")], { metrics: refused.metrics })).infer(request)).rejects.toMatchObject({
      code: "transport.invalid-invocation",
    });
    expect(refused.events).toEqual([]);
  });
});

describe("backoffDelay", () => {
  it("draws uniformly below a cap that doubles per retry, up to the maximum", () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, options, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    expect(backoffDelay(2, options, () => 0.5)).toBe(100);
  });
});

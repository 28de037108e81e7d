import path from "node:path";
import { createAdapters } from "@semla/adapters";
import { createEndpointApp } from "@semla/endpoint";
import { type RunningServer, startEndpointServer } from "@semla/endpoint/server";
import { fakeSegmenter, sageMakerFront } from "@semla/endpoint/testing";
import { CUSTOM_ATTRIBUTES_HEADER, createLogger, SpanKind } from "@semla/observability";
import { type ReadableSpan, startMemoryTracing } from "@semla/observability/testing";
import { createFsBlobStore } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedStack, startEmbeddedStack } from "./testing/embedded-stack.js";

/**
 * One trace across both processes' code: the API's request span, a span per stage, and the
 * endpoint's span continuing the trace from the traceparent the SageMaker backend sends in
 * InvokeEndpoint's CustomAttributes (the one header SageMaker passes to the container).
 */
describe("traces (OpenTelemetry, in-memory exporter): the API's stages and the endpoint's span in one trace", () => {
  let stack: EmbeddedStack;
  let endpoint: RunningServer;
  let tracing: ReturnType<typeof startMemoryTracing>;
  const customAttributes: (string | null)[] = [];
  const endpointLog: string[] = [];
  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    // The SDK's SageMaker client signs its requests: any credentials do for the loopback endpoint.
    process.env.AWS_ACCESS_KEY_ID ??= "test";
    process.env.AWS_SECRET_ACCESS_KEY ??= "test";
    stack = await startEmbeddedStack({
      before: async (dir) => {
        const app = createEndpointApp({
          segmenter: fakeSegmenter(),
          adapters: createAdapters({ store: createFsBlobStore({ root: path.join(dir, "blobs") }) }),
          ready: () => true,
          logger: createLogger("info", (line) => endpointLog.push(line)),
        });
        const front = sageMakerFront(app);
        endpoint = await startEndpointServer(
          {
            fetch: (request, ...rest) => {
              customAttributes.push(request.headers.get(CUSTOM_ATTRIBUTES_HEADER));
              return front.fetch(request, ...rest);
            },
          },
          { port: 0, hostname: "127.0.0.1" },
        );
        return { SEMLA_BACKEND: "sagemaker", SEMLA_SAGEMAKER_ENDPOINT: "semla", SEMLA_SAGEMAKER_URL: endpoint.url };
      },
    });
    tracing = startMemoryTracing();
  }, 120_000);

  afterAll(async () => {
    await tracing?.stop();
    await stack?.close();
    await endpoint?.close();
    for (const [name, value] of [
      ["AWS_ACCESS_KEY_ID", savedEnv.id],
      ["AWS_SECRET_ACCESS_KEY", savedEnv.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  async function segment(headers: Record<string, string>) {
    tracing.reset();
    customAttributes.length = 0;
    endpointLog.length = 0;
    const reply = await fetch(`${stack.url}/v1/segment`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.key}`, "content-type": "application/json", ...headers },
      body: JSON.stringify({ libraryId: stack.library.id, image: Buffer.from(stack.image).toString("base64"), classNames: ["sky", "road"] }),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { timings: { stages: Record<string, number> } };
    return { body, requestId: reply.headers.get("x-request-id"), spans: tracing.spans() };
  }

  const byName = (spans: ReadableSpan[], name: string) => {
    const found = spans.filter((s) => s.name === name);
    expect(found, name).toHaveLength(1);
    return found[0] as ReadableSpan;
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it("has a span per stage under the request's span, and the endpoint's span under the infer stage, all with one trace id", async () => {
    const { body, spans } = await segment({});
    const request = byName(spans, "POST /v1/segment");
    const traceId = request.spanContext().traceId;
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(parentOf(request)).toBeUndefined();
    expect(request.attributes).toMatchObject({ "http.route": "/v1/segment", "http.response.status_code": 200 });

    // Every stage the answer times is a span: the SageMaker backend's load, fuse and transport too.
    const stages = Object.keys(body.timings.stages).filter((s) => s !== "total");
    expect(stages.sort()).toEqual(["embed", "fuse", "infer", "load", "retrieve", "transport"]);
    for (const stage of stages) {
      const span = byName(spans, stage);
      expect([span.spanContext().traceId, parentOf(span)], stage).toEqual([traceId, request.spanContext().spanId]);
    }

    const infer = byName(spans, "infer");
    expect(customAttributes).toEqual([`traceparent=00-${traceId}-${infer.spanContext().spanId}-01`]);
    const invocation = byName(spans, "POST /invocations");
    expect([invocation.spanContext().traceId, parentOf(invocation), invocation.kind]).toEqual([traceId, infer.spanContext().spanId, SpanKind.SERVER]);
    for (const name of ["resolve", "segment"]) expect(parentOf(byName(spans, name)), name).toBe(invocation.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
  });

  it("continues a caller's W3C traceparent, and the endpoint logs the API's request id", async () => {
    const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const { spans, requestId } = await segment({ traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`, "x-request-id": "trace-probe-1" });
    const request = byName(spans, "POST /v1/segment");
    expect([request.spanContext().traceId, parentOf(request)]).toEqual([callerTrace, "00f067aa0ba902b7"]);
    expect(byName(spans, "POST /invocations").spanContext().traceId).toBe(callerTrace);
    expect(requestId).toBe("trace-probe-1");
    expect(endpointLog.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      { time: expect.any(String), level: "info", msg: "invocation", requestId: "trace-probe-1", status: 200, ms: expect.any(Number) },
    ]);
  });

  it("sends no trace context once tracing is off (no SDK registered: the default)", async () => {
    await tracing.stop();
    customAttributes.length = 0;
    const reply = await stack.call("POST", "/v1/segment", { body: { libraryId: stack.library.id, image: Buffer.from(stack.image).toString("base64"), classNames: ["sky"] } });
    expect(reply.status).toBe(200);
    expect(customAttributes).toEqual([null]);
  });
});

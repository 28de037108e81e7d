import { trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMemoryTracing } from "../testing/index.js";
import { extractTraceContext, inSpan, traceCustomAttributes } from "./tracing.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const headers =
  (given: Record<string, string>) =>
  (name: string): string | undefined =>
    given[name];
const spanOf = (ctx: ReturnType<typeof extractTraceContext>) => trace.getSpanContext(ctx);

describe("trace context with no SDK registered (the default)", () => {
  it("injects nothing and extracts nothing: tracing costs a no-op span", async () => {
    expect(await inSpan("work", async () => traceCustomAttributes())).toBeUndefined();
    expect(spanOf(extractTraceContext(headers({ traceparent: `00-${TRACE}-${PARENT}-01` })))).toBeUndefined();
  });
});

describe("trace context with the SDK registered", () => {
  let tracing: ReturnType<typeof startMemoryTracing>;
  beforeAll(() => {
    tracing = startMemoryTracing();
  });
  afterAll(async () => {
    await tracing.stop();
  });

  it("reads a traceparent header, or one among SageMaker's custom attributes (k=v pairs, ; or , between them)", () => {
    for (const given of <Record<string, string>[]>[
      { traceparent: `00-${TRACE}-${PARENT}-01` },
      { "x-amzn-sagemaker-custom-attributes": `traceparent=00-${TRACE}-${PARENT}-01` },
      { "x-amzn-sagemaker-custom-attributes": `tenant=a; traceparent=00-${TRACE}-${PARENT}-01,trial=2` },
    ]) {
      expect(spanOf(extractTraceContext(headers(given)))).toMatchObject({ traceId: TRACE, spanId: PARENT, isRemote: true });
    }
  });

  it("starts a new trace from attributes without a (valid) traceparent", () => {
    for (const given of <Record<string, string>[]>[{}, { "x-amzn-sagemaker-custom-attributes": "tenant=a" }, { traceparent: "00-zz-yy-01" }]) {
      expect(spanOf(extractTraceContext(headers(given)))).toBeUndefined();
    }
  });

  it("sends the active span as the custom attributes' traceparent, and records a failure on its span", async () => {
    tracing.reset();
    const sent = await inSpan("infer", async (span) => [traceCustomAttributes(), span.spanContext()] as const);
    expect(sent[0]).toBe(`traceparent=00-${sent[1].traceId}-${sent[1].spanId}-01`);
    await expect(
      inSpan("fails", async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const failed = tracing.spans().find((s) => s.name === "fails");
    expect([failed?.status.code, failed?.events.map((e) => e.name)]).toEqual([2, ["exception"]]);
  });
});

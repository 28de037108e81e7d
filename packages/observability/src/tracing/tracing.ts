import { type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

export { SpanKind };

/**
 * OpenTelemetry spans through the API only (@opentelemetry/api): with no SDK registered (the
 * default) every span is a no-op and nothing is propagated, so tracing costs nothing until
 * ./tracing-sdk's startTracing registers one (OTEL_EXPORTER_OTLP_ENDPOINT or SEMLA_OTLP_ENDPOINT).
 */
export const TRACER_NAME = "semla-serve";

const tracer = () => trace.getTracer(TRACER_NAME);

/** Runs work in a span named `name` (child of the active one), ended when it settles; a failure is recorded on it. */
export function inSpan<T>(name: string, work: (span: Span) => Promise<T>, attributes: Record<string, string | number | boolean> = {}, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  return tracer().startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * The SageMaker way across: InvokeEndpoint's CustomAttributes reach the container verbatim as the
 * X-Amzn-SageMaker-Custom-Attributes header (any other header is dropped), so the active span's W3C
 * traceparent travels as `traceparent=00-…` in it. undefined when nothing is traced.
 */
export const CUSTOM_ATTRIBUTES_HEADER = "x-amzn-sagemaker-custom-attributes";

export function traceCustomAttributes(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? `traceparent=${carrier.traceparent}` : undefined;
}

/** The trace context a request carries: a W3C traceparent header, or one inside SageMaker's custom attributes (`k=v` pairs split by `;` or `,`). */
export function extractTraceContext(header: (name: string) => string | undefined): Context {
  let traceparent = header("traceparent");
  if (traceparent === undefined) {
    const attributes = header(CUSTOM_ATTRIBUTES_HEADER) ?? "";
    for (const pair of attributes.split(/[;,]/)) {
      const [key, value] = pair.split("=", 2).map((part) => part.trim());
      if (key === "traceparent" && value) traceparent = value;
    }
  }
  const tracestate = header("tracestate");
  if (traceparent === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent, ...(tracestate !== undefined && { tracestate }) });
}

/** Runs work in a span that continues the given context (a request's extracted trace): a server's root span. */
export function inServerSpan<T>(parent: Context, name: string, work: (span: Span) => Promise<T>, attributes: Record<string, string | number | boolean> = {}): Promise<T> {
  return context.with(parent, () => inSpan(name, work, attributes, SpanKind.SERVER));
}

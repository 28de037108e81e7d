// @semla/observability: one logger shape, the Metrics seam and spans (the OpenTelemetry API only).
// The Prometheus implementation is ./prometheus (prom-client), the tracing SDK ./tracing-sdk: only
// the programs that serve them import those.
export { createLogger, errorFields, type Logger, type LogLevel, levelOf } from "./logger/logger.js";
export { type AdapterCacheTotals, type Metrics, noopMetrics } from "./metrics/metrics.js";
export { CUSTOM_ATTRIBUTES_HEADER, extractTraceContext, inServerSpan, inSpan, SpanKind, TRACER_NAME, traceCustomAttributes } from "./tracing/tracing.js";

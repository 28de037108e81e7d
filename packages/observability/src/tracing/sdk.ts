import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace-base";

/**
 * The OpenTelemetry SDK, registered process-wide: spans of @opentelemetry/api become real, the active
 * span follows async work (AsyncLocalStorage) and W3C trace context is injected and extracted.
 * Only mains import this module, and only when tracing is configured: the rest of the service sees
 * the API alone.
 */
export interface Tracing {
  /** Exports what is buffered and unregisters everything (spans are no-ops again). */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** service.name of every span (semla-api, semla-endpoint). */
  readonly serviceName: string;
  /** Where spans go; batched. */
  readonly exporter: SpanExporter;
  /** Export each span as it ends instead of in batches (tests). */
  readonly simple?: boolean;
}

export function registerTracing(options: TracingOptions): Tracing {
  const processor: SpanProcessor = options.simple ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(options.exporter);
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": options.serviceName }), spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown().catch(() => undefined);
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/**
 * The OTLP endpoint the environment names: OpenTelemetry's own OTEL_EXPORTER_OTLP_ENDPOINT (or its
 * traces-only variant), else SEMLA_OTLP_ENDPOINT. undefined: tracing stays off.
 */
export function otlpEndpointOf(env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT", "SEMLA_OTLP_ENDPOINT"]) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * Tracing over OTLP/HTTP when the environment names an endpoint, else nothing (and nothing loaded:
 * the exporter is imported only then). The exporter reads the rest of OTEL_EXPORTER_OTLP_* itself.
 */
export async function startTracingFromEnv(serviceName: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Tracing | undefined> {
  const endpoint = otlpEndpointOf(env);
  if (endpoint === undefined) return undefined;
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
  // OpenTelemetry's variables name the collector's base URL; the traces path is added to it.
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || `${endpoint.replace(/\/+$/, "")}/v1/traces`;
  return registerTracing({ serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName, exporter: new OTLPTraceExporter({ url }) });
}

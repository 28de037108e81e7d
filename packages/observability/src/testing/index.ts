import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";

export type { ReadableSpan };

import { registerTracing } from "../tracing/sdk.js";

/**
 * Tracing into memory for a test: every span as it ends. stop() unregisters it (unit tests share one
 * process: leave the globals as found).
 */
export function startMemoryTracing(serviceName = "semla-test"): { spans(): ReadableSpan[]; reset(): void; stop(): Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const tracing = registerTracing({ serviceName, exporter, simple: true });
  return { spans: () => exporter.getFinishedSpans(), reset: () => exporter.reset(), stop: () => tracing.shutdown() };
}
export { type Scrape, type ScrapedHistogram, scrape } from "./exposition.js";

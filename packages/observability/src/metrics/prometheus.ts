import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AdapterCacheTotals, Metrics } from "./metrics.js";

/** Metrics kept in a Prometheus registry of their own (never prom-client's global one): one per app, so apps and tests do not share counts. */
export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
  /** The exposition: Prometheus text format, as GET /metrics answers it. */
  text(): Promise<string>;
  readonly contentType: string;
}

export interface PrometheusMetricsOptions {
  /** Node's process metrics (CPU, memory, event loop, GC) too. Default true. */
  readonly processMetrics?: boolean;
}

/** Request latencies: 5 ms to 60 s (the API function's time-out). */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Adapter bytes per request: none, then 4 KiB to 256 MiB by powers of four. */
const BYTES = [0, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456];

export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({ name: "semla_http_requests_total", help: "HTTP requests answered, by route template, method and status", labelNames: ["route", "method", "status"], registers });
  const latency = new Histogram({
    name: "semla_http_request_duration_seconds",
    help: "HTTP request latency, by route template, method and status",
    labelNames: ["route", "method", "status"],
    buckets: SECONDS,
    registers,
  });
  const stages = new Histogram({
    name: "semla_stage_duration_seconds",
    help: "Time in each pipeline stage (embed, retrieve, load, fuse, transport, infer)",
    labelNames: ["stage"],
    buckets: SECONDS,
    registers,
  });
  const selections = new Counter({ name: "semla_adapter_selections_total", help: "Times each adapter was in a request's plan", labelNames: ["library", "adapter"], registers });
  const weights = new Counter({ name: "semla_adapter_weight_sum", help: "Sum of the weights each adapter was given in plans", labelNames: ["library", "adapter"], registers });
  const fusedHits = new Counter({ name: "semla_fused_cache_hits_total", help: "Requests whose fused adapter came from the cache", registers });
  const fusedMisses = new Counter({ name: "semla_fused_cache_misses_total", help: "Requests whose fused adapter was fused for them", registers });
  const moved = new Histogram({ name: "semla_adapter_bytes_per_request", help: "Bytes of adapter weights a request moved to the segmenter's process", buckets: BYTES, registers });
  const retries = new Counter({ name: "semla_backend_retries_total", help: "Endpoint invocations retried (throttled, 5xx, unreachable)", registers });
  const timeouts = new Counter({ name: "semla_backend_timeouts_total", help: "Endpoint invocations that did not answer in time", registers });
  const outOfLibrary = new Counter({ name: "semla_out_of_library_total", help: "Requests judged out of the library's coverage, by library", labelNames: ["library"], registers });

  const caches: (() => AdapterCacheTotals)[] = [];
  const total = (field: keyof AdapterCacheTotals) => caches.reduce((sum, read) => sum + read()[field], 0);
  // Counters read from the cache's own totals when scraped: set, not counted twice.
  const fromCache = (name: string, help: string, field: keyof AdapterCacheTotals, kind: "counter" | "gauge") => {
    const Kind = kind === "counter" ? Counter : Gauge;
    const metric: Counter | Gauge = new Kind({
      name,
      help,
      registers,
      collect() {
        const value = total(field);
        if (metric instanceof Gauge) metric.set(value);
        else {
          metric.reset();
          metric.inc(value);
        }
      },
    });
  };
  fromCache("semla_adapter_cache_hits_total", "Adapter cache hits (sources, fused and resolved adapters)", "hits", "counter");
  fromCache("semla_adapter_cache_misses_total", "Adapter cache misses", "misses", "counter");
  fromCache("semla_adapter_cache_bytes", "Bytes of F32 factors the adapter cache holds", "bytes", "gauge");
  fromCache("semla_adapter_cache_entries", "Adapters the cache holds", "entries", "gauge");

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    request(route, method, status, seconds) {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    stage: (stage, seconds) => stages.observe({ stage }, seconds),
    selection(library, adapters) {
      for (const { adapter, weight } of adapters) {
        selections.inc({ library, adapter });
        // A counter only grows: plans' weights are positive (a zero or negative one adds nothing).
        if (weight > 0) weights.inc({ library, adapter }, weight);
      }
    },
    fusedCache: (cached) => (cached ? fusedHits : fusedMisses).inc(),
    adapterBytes: (bytes) => moved.observe(bytes),
    backendRetry: () => retries.inc(),
    backendTimeout: () => timeouts.inc(),
    outOfLibrary: (library) => outOfLibrary.inc({ library }),
    watchAdapterCache: (read) => {
      caches.push(read);
    },
  };
}

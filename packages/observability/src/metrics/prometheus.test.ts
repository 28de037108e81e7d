import { describe, expect, it } from "vitest";
import { scrape } from "../testing/exposition.js";
import { noopMetrics } from "./metrics.js";
import { createPrometheusMetrics } from "./prometheus.js";

describe("Prometheus metrics", () => {
  it("expose what was reported, read back by an independent text-format parser with exact values", async () => {
    const metrics = createPrometheusMetrics({ processMetrics: false });
    metrics.request("/v1/libraries/:id", "GET", 200, 0.02);
    metrics.request("/v1/libraries/:id", "GET", 200, 0.3);
    metrics.request("/v1/libraries/:id", "GET", 404, 0.001);
    metrics.stage("embed", 0.004);
    metrics.stage("embed", 0.75);
    metrics.stage("infer", 12);
    metrics.selection("lib-1", [
      { adapter: "a", weight: 0.75 },
      { adapter: "b", weight: 0.25 },
    ]);
    metrics.selection("lib-1", [{ adapter: "a", weight: 0.5 }]);
    metrics.fusedCache(false);
    metrics.fusedCache(true);
    metrics.fusedCache(true);
    metrics.adapterBytes(0);
    metrics.adapterBytes(5000);
    metrics.backendRetry();
    metrics.backendRetry();
    metrics.backendTimeout();
    metrics.outOfLibrary("lib-1");
    let cache = { hits: 3, misses: 2, bytes: 4096, entries: 2 };
    metrics.watchAdapterCache(() => cache);

    const first = scrape(await metrics.text());
    expect(first.value("semla_http_requests_total", { route: "/v1/libraries/:id", method: "GET", status: "200" })).toBe(2);
    expect(first.value("semla_http_requests_total", { route: "/v1/libraries/:id", method: "GET", status: "404" })).toBe(1);
    expect(first.histogram("semla_http_request_duration_seconds", { route: "/v1/libraries/:id", method: "GET", status: "200" })).toMatchObject({
      count: 2,
      sum: 0.32,
      buckets: { "0.01": 0, "0.025": 1, "0.25": 1, "0.5": 2, "+Inf": 2 },
    });
    expect(first.histogram("semla_stage_duration_seconds", { stage: "embed" })).toMatchObject({ count: 2, sum: 0.754, buckets: { "0.005": 1, "0.5": 1, "1": 2 } });
    expect(first.histogram("semla_stage_duration_seconds", { stage: "infer" })).toMatchObject({ count: 1, sum: 12, buckets: { "10": 0, "30": 1 } });
    expect(first.series("semla_adapter_selections_total")).toEqual([
      { labels: { library: "lib-1", adapter: "a" }, value: 2 },
      { labels: { library: "lib-1", adapter: "b" }, value: 1 },
    ]);
    expect(first.value("semla_adapter_weight_sum", { library: "lib-1", adapter: "a" })).toBe(1.25);
    expect(first.value("semla_adapter_weight_sum", { library: "lib-1", adapter: "b" })).toBe(0.25);
    expect(first.value("semla_fused_cache_hits_total")).toBe(2);
    expect(first.value("semla_fused_cache_misses_total")).toBe(1);
    expect(first.histogram("semla_adapter_bytes_per_request")).toMatchObject({ count: 2, sum: 5000, buckets: { "0": 1, "4096": 1, "16384": 2 } });
    expect(first.value("semla_backend_retries_total")).toBe(2);
    expect(first.value("semla_backend_timeouts_total")).toBe(1);
    expect(first.value("semla_out_of_library_total", { library: "lib-1" })).toBe(1);
    expect(first.value("semla_out_of_library_total", { library: "lib-2" })).toBeUndefined();
    expect([
      first.value("semla_adapter_cache_hits_total"),
      first.value("semla_adapter_cache_misses_total"),
      first.value("semla_adapter_cache_bytes"),
      first.value("semla_adapter_cache_entries"),
    ]).toEqual([3, 2, 4096, 2]);
    expect(first.types).toMatchObject({
      semla_http_requests_total: "COUNTER",
      semla_http_request_duration_seconds: "HISTOGRAM",
      semla_adapter_cache_hits_total: "COUNTER",
      semla_adapter_cache_bytes: "GAUGE",
    });

    // The cache's totals are read at each scrape, never added twice.
    cache = { hits: 5, misses: 2, bytes: 0, entries: 0 };
    const second = scrape(await metrics.text());
    expect([second.value("semla_adapter_cache_hits_total"), second.value("semla_adapter_cache_misses_total"), second.value("semla_adapter_cache_bytes")]).toEqual([5, 2, 0]);
    expect(second.value("semla_http_requests_total", { route: "/v1/libraries/:id", method: "GET", status: "200" })).toBe(2);
  });

  it("keep a registry per instance: two apps in one process count apart, and neither touches prom-client's global one", async () => {
    const { register } = await import("prom-client");
    const a = createPrometheusMetrics({ processMetrics: false });
    const b = createPrometheusMetrics({ processMetrics: false });
    a.backendRetry();
    expect(scrape(await a.text()).value("semla_backend_retries_total")).toBe(1);
    expect(scrape(await b.text()).value("semla_backend_retries_total")).toBe(0);
    expect(await register.getSingleMetric("semla_backend_retries_total")).toBeUndefined();
  });

  it("include Node's process metrics unless told not to", async () => {
    expect(scrape(await createPrometheusMetrics().text()).types.process_cpu_user_seconds_total).toBe("COUNTER");
    expect(scrape(await createPrometheusMetrics({ processMetrics: false }).text()).types.process_cpu_user_seconds_total).toBeUndefined();
  });

  it("count no plan weight below zero (a counter only grows) and the no-op counts nothing at all", async () => {
    const metrics = createPrometheusMetrics({ processMetrics: false });
    metrics.selection("lib", [{ adapter: "x", weight: -0.5 }]);
    const read = scrape(await metrics.text());
    expect(read.value("semla_adapter_selections_total", { library: "lib", adapter: "x" })).toBe(1);
    expect(read.value("semla_adapter_weight_sum", { library: "lib", adapter: "x" })).toBeUndefined();
    expect(() => noopMetrics.selection("lib", [{ adapter: "x", weight: 1 }])).not.toThrow();
  });
});

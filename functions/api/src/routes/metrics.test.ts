import { createHash } from "node:crypto";
import { scrape } from "@semla/observability/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { startMetricsServer } from "../server.js";
import { type EmbeddedStack, startEmbeddedStack } from "../testing/embedded-stack.js";

const ADMIN_TOKEN = "semla_admin_metrics-test";

describe("GET /metrics after a scripted sequence of requests through the real HTTP server (embedded stack, local backend)", () => {
  let stack: EmbeddedStack;
  const segments: { timings: { stages: Record<string, number> }; contributions: { adapterId: string; weight: number }[]; coverage: { status: string } | null }[] = [];
  let exposition: string;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    const { call, library, image } = stack;
    const statuses: number[] = [];
    statuses.push((await call("GET", "/healthz", { key: null })).status);
    statuses.push((await call("GET", "/healthz", { key: null })).status);
    statuses.push((await call("GET", "/v1/libraries", { key: null })).status);
    statuses.push((await call("GET", `/v1/libraries/${library.id}`)).status);
    statuses.push((await call("GET", "/v1/libraries/00000000-0000-4000-8000-000000000000")).status);
    statuses.push((await call("GET", "/no/such/route")).status);
    for (let i = 0; i < 2; i++) {
      const reply = await call("POST", "/v1/segment", { body: { libraryId: library.id, image: Buffer.from(image).toString("base64"), classNames: ["sky", "road"] } });
      statuses.push(reply.status);
      segments.push(reply.body as (typeof segments)[number]);
    }
    statuses.push((await call("GET", "/metrics", { key: null })).status);
    const metrics = await call("GET", "/metrics");
    statuses.push(metrics.status);
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    exposition = metrics.text;
    expect(statuses).toEqual([200, 200, 401, 200, 404, 404, 200, 200, 401, 200]);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("counts requests by route template (never the raw path), method and status; what no route matched is `unmatched`", () => {
    const read = scrape(exposition);
    expect(read.series("semla_http_requests_total").sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [
        { labels: { route: "/healthz", method: "GET", status: "200" }, value: 2 },
        { labels: { route: "/v1/libraries", method: "GET", status: "401" }, value: 1 },
        { labels: { route: "/v1/libraries/:id", method: "GET", status: "200" }, value: 1 },
        { labels: { route: "/v1/libraries/:id", method: "GET", status: "404" }, value: 1 },
        { labels: { route: "unmatched", method: "GET", status: "404" }, value: 1 },
        { labels: { route: "/v1/segment", method: "POST", status: "200" }, value: 2 },
        { labels: { route: "/metrics", method: "GET", status: "401" }, value: 1 },
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(read.histogram("semla_http_request_duration_seconds", { route: "/v1/segment", method: "POST", status: "200" })?.count).toBe(2);
    expect(read.histogram("semla_http_request_duration_seconds", { route: "/healthz", method: "GET", status: "200" })?.count).toBe(2);
  });

  it("times every stage the answers name: load and fuse only on the fused-cache miss", () => {
    const read = scrape(exposition);
    const [first, second] = segments;
    expect(Object.keys(first!.timings.stages).sort()).toEqual(["embed", "fuse", "infer", "load", "retrieve", "total"]);
    expect(Object.keys(second!.timings.stages).sort()).toEqual(["embed", "infer", "retrieve", "total"]);
    const counts = Object.fromEntries(["embed", "retrieve", "load", "fuse", "transport", "infer"].map((stage) => [stage, read.histogram("semla_stage_duration_seconds", { stage })?.count]));
    expect(counts).toEqual({ embed: 2, retrieve: 2, load: 1, fuse: 1, transport: undefined, infer: 2 });
    // The histogram holds the very durations the answers report (ms there, seconds here).
    const inferSum = read.histogram("semla_stage_duration_seconds", { stage: "infer" })!.sum;
    expect(inferSum * 1000).toBeCloseTo(first!.timings.stages.infer! + second!.timings.stages.infer!, 2);
  });

  it("counts each adapter's selections and sums its weights, by library and adapter id", () => {
    const read = scrape(exposition);
    const { library, adapters } = stack;
    for (const adapter of adapters) {
      const weights = segments.map((s) => s.contributions.find((c) => c.adapterId === adapter.id)!.weight);
      expect(read.value("semla_adapter_selections_total", { library: library.id, adapter: adapter.id })).toBe(2);
      expect(read.value("semla_adapter_weight_sum", { library: library.id, adapter: adapter.id })).toBe(weights[0]! + weights[1]!);
    }
    expect(read.series("semla_adapter_selections_total")).toHaveLength(2);
  });

  it("counts fused-cache and adapter-cache hits and misses; the local backend moves no adapter bytes and retries nothing", () => {
    const read = scrape(exposition);
    expect([read.value("semla_fused_cache_misses_total"), read.value("semla_fused_cache_hits_total")]).toEqual([1, 1]);
    // First request: the fused adapter missed, and so did its two sources; second: the fused adapter hit.
    expect([read.value("semla_adapter_cache_misses_total"), read.value("semla_adapter_cache_hits_total"), read.value("semla_adapter_cache_entries")]).toEqual([3, 1, 3]);
    expect(read.value("semla_adapter_cache_bytes")).toBeGreaterThan(0);
    expect(read.histogram("semla_adapter_bytes_per_request")?.count).toBe(0);
    expect([read.value("semla_backend_retries_total"), read.value("semla_backend_timeouts_total")]).toEqual([0, 0]);
    // Both images are out-of-library: the stack's two adapters have centroids without sample spreads, so
    // their radius is the gap between them, and the images sit farther. The counter agrees with the answers.
    const out = segments.filter((s) => s.coverage?.status === "out-of-library").length;
    expect(out).toBe(2);
    expect(read.series("semla_out_of_library_total")).toEqual([{ labels: { library: stack.library.id }, value: out }]);
  });

  it("answers /readyz 200 when the database, the store and the backend answer", async () => {
    const reply = await stack.call("GET", "/readyz", { key: null });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      status: "ready",
      checks: { database: { ok: true, ms: expect.any(Number) }, store: { ok: true, ms: expect.any(Number) }, backend: { ok: true, ms: expect.any(Number) } },
    });
  });

  it("is readable as configured: the admin token only, anyone, nobody on the API's port, or anyone on a port of its own", async () => {
    const { services, key } = stack;
    const get = (app: ReturnType<typeof createApp>, token?: string) => app.request("/metrics", token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const admin = createApp({ ...services, metricsAccess: "admin", adminTokenSha256: createHash("sha256").update(ADMIN_TOKEN).digest("hex") });
    expect([(await get(admin)).status, (await get(admin, key)).status, (await get(admin, ADMIN_TOKEN)).status]).toEqual([401, 401, 200]);
    const open = createApp({ ...services, metricsAccess: "open" });
    expect((await get(open)).status).toBe(200);
    const off = createApp({ ...services, metricsAccess: "off" });
    expect([(await get(off)).status, (await get(off, key)).status]).toEqual([404, 404]);

    const port = await startMetricsServer(services.metrics!, { port: 0, hostname: "127.0.0.1" });
    try {
      const reply = await fetch(`${port.url}/metrics`);
      expect(reply.status).toBe(200);
      expect(scrape(await reply.text()).value("semla_http_requests_total", { route: "/healthz", method: "GET", status: "200" })).toBe(2);
      expect((await fetch(`${port.url}/v1/libraries`)).status).toBe(404);
    } finally {
      await port.close();
    }
  });
});

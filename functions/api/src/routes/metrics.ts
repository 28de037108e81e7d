import type { Metrics } from "@semla/observability";
import type { MiddlewareHandler } from "hono";
import { Hono } from "hono";

/** Metrics and their exposition (Prometheus text format): what GET /metrics serves. */
export interface ExposedMetrics extends Metrics {
  text(): Promise<string>;
  readonly contentType: string;
}

/**
 * Who may read GET /metrics on the API's port: `key` any tenant's API key (the default; the series
 * are service-wide and name libraries and adapters by id only), `admin` the admin token, `open`
 * anyone, `off` nobody (404: a separate port serves them, or none).
 */
export type MetricsAccess = "key" | "admin" | "open" | "off";

/** GET /metrics, behind the guard chosen for its access (none: open). Left out of the OpenAPI document: it is for scrapers, not clients. */
export function metricsRoutes(metrics: ExposedMetrics, guard?: MiddlewareHandler) {
  const app = new Hono();
  if (guard) app.use("/metrics", guard);
  app.get("/metrics", async (c) => c.body(await metrics.text(), 200, { "content-type": metrics.contentType, "cache-control": "no-store" }));
  return app;
}

import type { Metrics } from "@semla/observability";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "./env.js";

/** The label of a request no route matched (404s, probes of unknown paths): never the raw path, whose values are unbounded. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * Counts every request and its latency by route template (`/v1/libraries/:id`), method and status.
 * The template is the last route the request matched: its handler's, even when a middleware before
 * it answered (a 401 is counted on the route it was for); only middleware matched (`*`): unmatched.
 */
export function requestMetrics(metrics: Pick<Metrics, "request">) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const template = routePath(c, -1);
    const route = template === "" || template.endsWith("*") ? UNMATCHED_ROUTE : template;
    metrics.request(route, c.req.method, c.res.status, (performance.now() - started) / 1000);
  });
}

import { extractTraceContext, inServerSpan } from "@semla/observability";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "./env.js";

/**
 * Each request as a server span, continuing the caller's W3C traceparent when it sends one; the
 * pipeline's stages are its children. A no-op unless a tracing SDK is registered.
 */
export function requestSpan() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const parent = extractTraceContext((name) => c.req.header(name));
    await inServerSpan(parent, `${c.req.method}`, async (span) => {
      await next();
      const route = routePath(c, -1);
      span.updateName(`${c.req.method} ${route}`);
      span.setAttributes({ "http.request.method": c.req.method, "http.route": route, "http.response.status_code": c.res.status, "semla.request_id": c.get("requestId") });
    });
  });
}

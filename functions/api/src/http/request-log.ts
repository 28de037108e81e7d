import { randomUUID } from "node:crypto";
import { LIMITS } from "@semla/core";
import { type Logger, levelOf } from "@semla/observability";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.js";

const REQUEST_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${LIMITS.requestId}}$`);

/**
 * A request id for every request (the caller's X-Request-Id when it is a sane token, else a new
 * uuid), echoed in the response, and one structured log line per request when it ends.
 */
export function requestLog(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    const status = c.res.status;
    logger.log(levelOf(status), "request", {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
      tenant: c.get("tenant"),
    });
  });
}

import { randomUUID } from "node:crypto";
import { LIMITS } from "@semla/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.js";
import type { Logger } from "./logger.js";

const REQUEST_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${LIMITS.requestId}}$`);

/**
 * The level of a request's log line: a 503 is the service saying "not now" (a database resuming, the
 * GPU scaling from zero: expected while a stage scales to zero, each retry answered so), a warning; any
 * other 5xx is the service's own failure, an error.
 */
export function levelOf(status: number): "info" | "warn" | "error" {
  if (status === 503) return "warn";
  return status >= 500 ? "error" : "info";
}

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

import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/**
 * Headers every answer carries: `X-Content-Type-Options: nosniff` (a browser never second-guesses a
 * declared type: a PNG mask or a JSON error is never run as a script), and `Cache-Control: no-store`
 * (answers are per tenant and per request: no shared cache keeps them) unless the route set its own
 * (the reference page's static assets).
 */
export function responseHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}

/** Headers a browser may send from another origin: the two ways of passing a key, and a request id. */
const ALLOWED_HEADERS = ["authorization", "x-api-key", "content-type", "x-request-id"];
/** Headers a browser's script may read from the answer. */
const EXPOSED_HEADERS = ["x-request-id", "retry-after", "content-disposition", "etag"];

/**
 * CORS for browser clients on other origins, off unless origins are given (SEMLA_CORS_ORIGINS):
 * then a listed origin (or any, with `*`) gets Access-Control-Allow-Origin on its answers and
 * preflights (OPTIONS) answered 204 before authentication, as browsers send them without a key.
 * Credentials (cookies) are never allowed: keys travel in headers.
 */
export function corsPolicy(origins: readonly string[] | undefined): MiddlewareHandler | undefined {
  if (!origins || origins.length === 0) return undefined;
  const any = origins.includes("*");
  return cors({
    origin: any ? "*" : (origin) => (origins.includes(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "DELETE"],
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}

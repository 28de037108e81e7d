import { LIMITS } from "@semla/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.js";
import { ApiError } from "./errors.js";

/** Bytes of a URL's path and query string (what the request line carries), as sent. */
export function pathAndQueryBytes(url: string): number {
  const path = url.indexOf("/", url.indexOf("://") + 3);
  return path === -1 ? 0 : Buffer.byteLength(url.slice(path));
}

/**
 * Refuses a URL over LIMITS.urlBytes with the API's JSON 414, on Lambda as on Node (where Node's own
 * limit on the whole request head, twice as large, answers 431 through the server's refusal).
 */
export function urlLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const bytes = pathAndQueryBytes(c.req.url);
    if (bytes > LIMITS.urlBytes) {
      throw new ApiError("uri-too-long", `the URL's path and query string are ${bytes} bytes, over the ${LIMITS.urlBytes}-byte limit`, { limit: LIMITS.urlBytes, bytes });
    }
    await next();
  });
}

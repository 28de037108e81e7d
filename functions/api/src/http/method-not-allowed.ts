import type { Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.js";
import { ApiError } from "./errors.js";

/** One route as Hono lists it: a method and a path pattern (`:id` segments). */
interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

/** The methods each path pattern answers, as a matcher: the app's own routes (middleware, `ALL`, left out). */
export function allowedMethods(routes: readonly RouteEntry[]): (path: string) => string[] {
  const patterns = new Map<string, { match: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    if (method === "ALL" || path.includes("*")) continue;
    let entry = patterns.get(path);
    if (!entry) {
      const source = path
        .split("/")
        .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/");
      entry = { match: new RegExp(`^${source}$`), methods: new Set() };
      patterns.set(path, entry);
    }
    entry.methods.add(method);
  }
  return (path) => {
    const methods = new Set<string>();
    for (const { match, methods: own } of patterns.values()) if (match.test(path)) for (const method of own) methods.add(method);
    // HEAD is answered wherever GET is (Hono serves it from the GET route).
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}

/**
 * A request whose path is a route's but whose method is not answers 405 `api.method-not-allowed`
 * with `Allow` (RFC 9110 §15.5.6), before authentication: which methods a path takes is public (the
 * OpenAPI document lists them), and a 404 or 401 would send the caller looking in the wrong place.
 * A CORS preflight (OPTIONS) is left to the CORS middleware when it is on. The route table is read
 * from the app on the first request, once every route is registered.
 */
export function methodNotAllowed(app: Hono<AppEnv>, options: { readonly corsOn: boolean }): MiddlewareHandler<AppEnv> {
  let allowed: ((path: string) => string[]) | undefined;
  return async (c, next) => {
    if (c.req.method === "OPTIONS" && options.corsOn) return next();
    allowed ??= allowedMethods(app.routes);
    const methods = allowed(c.req.path);
    if (methods.length > 0 && !methods.includes(c.req.method)) {
      throw new ApiError("method-not-allowed", `${c.req.method} ${c.req.path} is not served: this route answers ${methods.join(", ")}`, {
        method: c.req.method,
        path: c.req.path,
        allow: methods,
      });
    }
    return next();
  };
}

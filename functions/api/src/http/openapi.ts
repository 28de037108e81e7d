import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { text } from "@semla/core";
import { ErrorBodySchema } from "./errors.js";

/*
 * How the API describes itself. Each route states its own `operationId` and `summary` in its
 * createRoute (the one place a new route fills in; the spec test's Redocly lint refuses one without),
 * its request and success responses, and its own 4xx through errorResponses(); the answers any
 * route may give (429 from the platform in front, 5xx) are added here, once.
 */

const ERROR_CONTENT = { "application/json": { schema: ErrorBodySchema } } as const;

/** The route's own 4xx answers. */
const DESCRIPTIONS = {
  400: "Invalid input",
  401: "Missing or invalid API key",
  404: "Not found (or another tenant's)",
  409: "Conflict",
  413: "Body over the size limit",
  415: "Unsupported media type",
  422: "Understood but refused on its content: pipeline.out-of-library (the library's or the request's coverage policy is refuse), with details.coverage",
} as const;

const RETRY_AFTER = { "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" as const, minimum: 1 } } };

/** What any route may answer, whatever it does: documented on every operation. */
const ANY_ROUTE = {
  429: {
    description:
      "Too many requests: the platform in front of the API (API Gateway, a Lambda function URL at its concurrency limit) throttled the request. The body is the platform's, not this API's error shape; retry after a pause.",
  },
  500: { description: "The service's own failure (code api.internal); its details stay in the service's log", content: ERROR_CONTENT },
  503: {
    description:
      "A dependency is unavailable; retry after the Retry-After header's seconds. backend.scaling-from-zero: the GPU is scaling from zero (minutes), details.state and details.retryAfterSeconds say so",
    headers: RETRY_AFTER,
    content: ERROR_CONTENT,
  },
} as const;

/** What a route that calls the inference backend may answer besides. */
const BACKEND = {
  502: { description: "The inference backend answered with an error or an unreadable reply", content: ERROR_CONTENT },
  504: { description: "The inference backend did not answer in time; retry after the Retry-After header's seconds", headers: RETRY_AFTER, content: ERROR_CONTENT },
} as const;

/** Error responses of a route: its own 4xx (documented once, reused by each route) and those of any route. */
export function errorResponses(...statuses: readonly (keyof typeof DESCRIPTIONS)[]) {
  return { ...Object.fromEntries(statuses.map((status) => [status, { description: DESCRIPTIONS[status], content: ERROR_CONTENT }])), ...ANY_ROUTE };
}

/** errorResponses() of a route that calls the inference backend (embed, route, segment, fuse, registration from images). */
export function backendErrorResponses(...statuses: readonly (keyof typeof DESCRIPTIONS)[]) {
  return { ...errorResponses(...statuses), ...BACKEND };
}

/** What a route needs of a key: either scheme (an OpenAPI security array lists alternatives). */
export const AUTH: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }];

/** Routes anyone may call (liveness; presigned uploads, whose URL is the credential). */
export const PUBLIC: Record<string, string[]>[] = [];

export const UuidParam = z.object({ id: text().openapi({ param: { name: "id", in: "path" }, example: "6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f" }) });

/** The security schemes AUTH and the admin routes name. */
export function registerSecuritySchemes(app: Pick<OpenAPIHono, "openAPIRegistry">): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "An API key: Authorization: Bearer semla_…" });
  registry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "x-api-key", description: "The same API key in an x-api-key header: x-api-key: semla_…" });
  registry.registerComponent("securitySchemes", "admin", {
    type: "http",
    scheme: "bearer",
    description: "The operator's admin token (its sha256 in SEMLA_ADMIN_TOKEN_SHA256; the embedded default keeps one in SEMLA_DATA_DIR/admin-token): Authorization: Bearer semla_admin_…",
  });
}

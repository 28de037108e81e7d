import { z } from "@hono/zod-openapi";
import { text } from "@semla/core";
import { ErrorBodySchema } from "./errors.js";

/** Error responses every authenticated route may give (documented once, reused by each route). */
export function errorResponses(...statuses: readonly (400 | 401 | 404 | 409 | 413 | 415 | 422 | 503)[]) {
  const descriptions = {
    400: "Invalid input",
    401: "Missing or invalid API key",
    404: "Not found (or another tenant's)",
    409: "Conflict",
    413: "Body over the size limit",
    415: "Unsupported media type",
    422: "Understood but refused on its content: pipeline.out-of-library (the library's or the request's coverage policy is refuse), with details.coverage",
    503: "A dependency is unavailable; retry after the Retry-After header's seconds. backend.scaling-from-zero: the GPU is scaling from zero (minutes), details.state and details.retryAfterSeconds say so",
  } as const;
  return Object.fromEntries(statuses.map((status) => [status, { description: descriptions[status], content: { "application/json": { schema: ErrorBodySchema } } }]));
}

export const AUTH = [{ bearer: [] }];

export const UuidParam = z.object({ id: text().openapi({ param: { name: "id", in: "path" }, example: "6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f" }) });

import { timingSafeEqual } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { text } from "@semla/core";
import { type ApiKeyRecord, hashApiKey, sweep } from "@semla/registry";
import { createMiddleware } from "hono/factory";
import { presentedKey } from "../auth/api-keys.js";
import type { ApiDeps, AppEnv } from "../http/env.js";
import { ApiError } from "../http/errors.js";
import { errorResponses, UuidParam } from "../http/openapi.js";
import { newRouter } from "../http/router.js";

/** Where the operator's routes live: outside the tenant key check, behind the admin token. */
export const ADMIN_PREFIX = "/v1/admin/";
export const ADMIN_AUTH = [{ admin: [] }];

/**
 * The admin token, compared by its sha256 in constant time. Tenant API keys never pass: a key that
 * could mint keys would outlive its own revocation.
 */
export function requireAdminToken(expectedSha256: string | undefined) {
  const expected = expectedSha256 === undefined ? undefined : Buffer.from(expectedSha256, "hex");
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!expected) throw new ApiError("not-available", "the admin routes are off on this server: set SEMLA_ADMIN_TOKEN_SHA256 to turn them on");
    const token = presentedKey(c.req.header("authorization"), c.req.header("x-api-key"));
    if (!token) throw new ApiError("missing-admin-token", "this route needs the admin token: send `Authorization: Bearer <admin token>`");
    if (!timingSafeEqual(Buffer.from(hashApiKey(token), "hex"), expected)) throw new ApiError("invalid-admin-token", "the admin token is not valid (tenant API keys are not admin tokens)");
    await next();
  });
}

export const TenantSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");

export const ApiKeySchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    name: z.string(),
    createdAt: z.string().describe("ISO 8601"),
    lastUsedAt: z.string().nullable().describe("ISO 8601, to the minute; null: never used"),
    revokedAt: z.string().nullable().describe("ISO 8601; null: active"),
  })
  .openapi("ApiKey");

/** An API key as the admin routes and `semla keys` show it: never the key or its hash. */
export type ApiKeyView = z.infer<typeof ApiKeySchema>;

export function apiKeyView(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    tenant: record.tenant,
    name: record.name,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}

const NewApiKeySchema = z.strictObject({ tenant: TenantSchema, name: text().min(1).max(128).default("admin") }).openapi("NewApiKey");

const createKey = createRoute({
  method: "post",
  path: "/v1/admin/keys",
  operationId: "createApiKey",
  summary: "Create an API key for a tenant",
  tags: ["admin"],
  security: ADMIN_AUTH,
  description: "A new API key for a tenant. The key is in this answer only: the service keeps its sha256.",
  request: { body: { required: true, content: { "application/json": { schema: NewApiKeySchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: ApiKeySchema.extend({ key: z.string().describe("The key itself, shown once") }).openapi("CreatedApiKey") } } },
    ...errorResponses(400, 401),
  },
});

const listKeys = createRoute({
  method: "get",
  path: "/v1/admin/keys",
  operationId: "listApiKeys",
  summary: "List API keys",
  tags: ["admin"],
  security: ADMIN_AUTH,
  request: { query: z.object({ tenant: TenantSchema.optional().describe("Only this tenant's keys") }) },
  responses: {
    200: { description: "Keys oldest first, revoked ones included; never a key or its hash", content: { "application/json": { schema: z.object({ items: z.array(ApiKeySchema) }) } } },
    ...errorResponses(400, 401),
  },
});

const revokeKey = createRoute({
  method: "delete",
  path: "/v1/admin/keys/{id}",
  operationId: "revokeApiKey",
  summary: "Revoke an API key",
  tags: ["admin"],
  security: ADMIN_AUTH,
  description:
    "Revokes a key: this server refuses it from the next request; other instances of the API within their key cache's lifetime (10 s). Idempotent: a revoked key answers with its first revocation.",
  request: { params: UuidParam },
  responses: { 200: { description: "The revoked key", content: { "application/json": { schema: ApiKeySchema } } }, ...errorResponses(401, 404) },
});

/** The registry sweep's own default (15 min): long enough for any upload still in flight. */
const DEFAULT_SWEEP_AGE_S = 15 * 60;

const SweepReportSchema = z.object({ pendingRemoved: z.number().int(), orphansRemoved: z.number().int() }).openapi("SweepReport");

const sweepRoute = createRoute({
  method: "post",
  path: "/v1/admin/sweep",
  operationId: "sweep",
  summary: "Remove what interrupted registrations left",
  tags: ["admin"],
  security: ADMIN_AUTH,
  description: "Removes what an interrupted registration left: pending rows (with their objects) and objects no row references, once older than olderThanSeconds.",
  request: {
    body: {
      required: false,
      content: {
        "application/json": {
          schema: z.strictObject({
            olderThanSeconds: z
              .number()
              .int()
              .min(0)
              .max(365 * 86_400)
              .default(DEFAULT_SWEEP_AGE_S)
              .describe("Spare what is younger: uploads in flight"),
          }),
        },
      },
    },
  },
  responses: { 200: { description: "What was removed", content: { "application/json": { schema: SweepReportSchema } } }, ...errorResponses(400, 401) },
});

/** The operator's routes: API keys of every tenant and the registry's sweep. */
export function adminRoutes(deps: ApiDeps) {
  return newRouter()
    .openapi(createKey, async (c) => {
      const { tenant, name } = c.req.valid("json");
      const { key, record } = await deps.apiKeys.create(tenant, name);
      return c.json({ ...apiKeyView(record), key }, 201);
    })
    .openapi(listKeys, async (c) => c.json({ items: (await deps.apiKeys.list(c.req.valid("query").tenant)).map(apiKeyView) }, 200))
    .openapi(revokeKey, async (c) => {
      const { id } = c.req.valid("param");
      const record = await deps.apiKeys.revoke(undefined, id);
      if (!record) throw new ApiError("unknown-key", `API key ${id} does not exist`, { keyId: id });
      return c.json(apiKeyView(record), 200);
    })
    .openapi(sweepRoute, async (c) => {
      // The body is optional: without one, Hono's validator passes nothing through.
      const body = c.req.valid("json") as { olderThanSeconds?: number } | undefined;
      const afterMs = (body?.olderThanSeconds ?? DEFAULT_SWEEP_AGE_S) * 1000;
      return c.json(await sweep({ index: deps.index, store: deps.store }, { pendingAfterMs: afterMs, orphanAfterMs: afterMs }), 200);
    });
}

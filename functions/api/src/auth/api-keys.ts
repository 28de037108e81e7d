import type { ApiKeyStore } from "@semla/registry";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env.js";
import { ApiError } from "../http/errors.js";

/** `Authorization: Bearer <key>` (or `x-api-key: <key>`, for tools that cannot set Authorization). */
export function presentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  if (apiKeyHeader) return apiKeyHeader.trim();
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1] : undefined;
}

/**
 * Resolves the API key to its tenant. Every route below reads `tenant` from here and passes it to
 * every query, so one tenant's ids are not found by another.
 */
export function requireApiKey(keys: ApiKeyStore) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = presentedKey(c.req.header("authorization"), c.req.header("x-api-key"));
    if (!key) throw new ApiError("missing-key", "this route needs an API key: send `Authorization: Bearer <key>`");
    const record = await keys.authenticate(key);
    if (!record) throw new ApiError("invalid-key", "the API key is not valid (unknown or revoked)");
    c.set("tenant", record.tenant);
    await next();
  });
}

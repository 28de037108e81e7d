import { hc } from "hono/client";
import type { App } from "./app.js";

/**
 * A typed client of the API, from the app's own type: request bodies and responses are checked at
 * compile time against the routes' zod schemas.
 */
export function createClient(baseUrl: string, apiKey?: string, options: { fetch?: typeof fetch } = {}) {
  return hc<App>(baseUrl, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

export type Client = ReturnType<typeof createClient>;

export { type CapacityWait, SCALING_FROM_ZERO, type WaitForCapacityOptions, waitForCapacity } from "./client/wait-for-capacity.js";
/** Webhook receivers check a job's webhook with this (the tenant's secret from GET /v1/jobs/webhook-secret, the raw body, the Semla-Signature header). */
export { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, signWebhook, type VerifyOptions, verifyWebhook } from "./jobs/signature.js";

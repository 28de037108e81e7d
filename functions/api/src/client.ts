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

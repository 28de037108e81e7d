import { hc } from "hono/client";
import type { App } from "./app.js";

/**
 * A typed client of the API from the app's own type (Hono's hc), for this repository's code and
 * tests: request bodies and responses are checked at compile time against the routes' zod schemas.
 * Outside it, use @semla/client (typed from the OpenAPI document, published on its own); both share
 * its waitForCapacity and its webhook signatures.
 */
export function createClient(baseUrl: string, apiKey?: string, options: { fetch?: typeof fetch } = {}) {
  return hc<App>(baseUrl, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

export type Client = ReturnType<typeof createClient>;

export {
  type CapacityWait,
  DEFAULT_TOLERANCE_SECONDS,
  SCALING_FROM_ZERO,
  SIGNATURE_HEADER,
  signWebhook,
  type VerifyOptions,
  verifyWebhook,
  type WaitForCapacityOptions,
  waitForCapacity,
} from "@semla/client";

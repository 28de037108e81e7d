import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures, as Stripe signs its events: `Semla-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). The receiver recomputes v1 over the raw body it got and
 * the header's t, compares in constant time, and refuses a t too far from its clock (replays).
 */
export const SIGNATURE_HEADER = "Semla-Signature";
/** How far a signature's timestamp may be from the receiver's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** The header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

export interface VerifyOptions {
  /** Default 300 s. */
  readonly toleranceSeconds?: number;
  /** Unix seconds now; default the clock's. */
  readonly now?: number;
}

/**
 * Whether `header` (the Semla-Signature value) signs `body` (the raw request body, as received) with
 * `secret`, at a timestamp within the tolerance. Any v1 in the header may match (a rotated secret).
 */
export function verifyWebhook(secret: string, header: string | null | undefined, body: string, options: VerifyOptions = {}): boolean {
  if (!header) return false;
  const parts = header.split(",").map((part) => part.trim().split("="));
  const timestamps = parts.filter(([name]) => name === "t").map(([, value]) => value ?? "");
  const signatures = parts.filter(([name]) => name === "v1").map(([, value]) => value ?? "");
  if (timestamps.length !== 1 || signatures.length === 0 || !/^\d{1,12}$/.test(timestamps[0] as string)) return false;
  const timestamp = Number(timestamps[0]);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), "hex");
  return signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/.test(signature)) return false;
    return timingSafeEqual(Buffer.from(signature, "hex"), expected);
  });
}

/** A tenant's webhook secret: derived from the service's, so each tenant verifies with its own and cannot sign another's. */
export function tenantWebhookSecret(serviceSecret: string, tenant: string): string {
  return `whsec_${createHmac("sha256", serviceSecret).update(`semla-webhook:${tenant}`).digest("base64url")}`;
}

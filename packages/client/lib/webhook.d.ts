/**
 * Webhook signatures, as Stripe signs its events: `Semla-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). The receiver recomputes v1 over the raw body it got and
 * the header's t, compares in constant time (Web Crypto's HMAC verify), and refuses a t too far from
 * its clock (replays). Web Crypto only, so it runs wherever the client does (Node ≥ 20, browsers,
 * workers); the API signs with the same function.
 */
export declare const SIGNATURE_HEADER = "Semla-Signature";
/** How far a signature's timestamp may be from the receiver's clock. */
export declare const DEFAULT_TOLERANCE_SECONDS = 300;
/** The header value for `body` sent at `timestamp` (unix seconds). */
export declare function signWebhook(secret: string, body: string, timestamp: number): Promise<string>;
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
export declare function verifyWebhook(secret: string, header: string | null | undefined, body: string, options?: VerifyOptions): Promise<boolean>;

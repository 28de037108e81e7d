/**
 * Webhook signatures, as Stripe signs its events: `Semla-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). The receiver recomputes v1 over the raw body it got and
 * the header's t, compares in constant time (Web Crypto's HMAC verify), and refuses a t too far from
 * its clock (replays). Web Crypto only, so it runs wherever the client does (Node ≥ 20, browsers,
 * workers); the API signs with the same function.
 */
export const SIGNATURE_HEADER = "Semla-Signature";
/** How far a signature's timestamp may be from the receiver's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
const encoder = new TextEncoder();
function hmacKey(secret, usage) {
    return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}
const signed = (timestamp, body) => encoder.encode(`${timestamp}.${body}`);
/** The header value for `body` sent at `timestamp` (unix seconds). */
export async function signWebhook(secret, body, timestamp) {
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), signed(timestamp, body)));
    return `t=${timestamp},v1=${Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
/**
 * Whether `header` (the Semla-Signature value) signs `body` (the raw request body, as received) with
 * `secret`, at a timestamp within the tolerance. Any v1 in the header may match (a rotated secret).
 */
export async function verifyWebhook(secret, header, body, options = {}) {
    if (!header)
        return false;
    const parts = header.split(",").map((part) => part.trim().split("="));
    const timestamps = parts.filter(([name]) => name === "t").map(([, value]) => value ?? "");
    const signatures = parts.filter(([name]) => name === "v1").map(([, value]) => value ?? "");
    if (timestamps.length !== 1 || signatures.length === 0 || !/^\d{1,12}$/.test(timestamps[0]))
        return false;
    const timestamp = Number(timestamps[0]);
    const now = options.now ?? Math.floor(Date.now() / 1000);
    if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS))
        return false;
    const key = await hmacKey(secret, "verify");
    const data = signed(timestamp, body);
    for (const signature of signatures) {
        if (!/^[0-9a-f]{64}$/.test(signature))
            continue;
        const mac = Uint8Array.from(signature.match(/../g), (pair) => Number.parseInt(pair, 16));
        if (await crypto.subtle.verify("HMAC", key, mac, data))
            return true;
    }
    return false;
}

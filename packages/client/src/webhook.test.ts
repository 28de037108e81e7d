import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "./webhook.js";

// The expected HMAC is Python's: hmac.new(secret, b"1796000000." + body, hashlib.sha256).hexdigest().
const SECRET = "whsec_test-secret-0123456789";
const BODY = '{"type":"job.succeeded"}';
const T = 1_796_000_000;
const PYTHON_V1 = "efe29a846aab215da9cf060201b595ad575f72088491673948459ff0806bf6fe";

describe("webhook signatures (Semla-Signature: t=…,v1=…, as Stripe signs)", () => {
  it("signs t + '.' + body with HMAC-SHA256, as Python's hmac computes it", async () => {
    expect(await signWebhook(SECRET, BODY, T)).toBe(`t=${T},v1=${PYTHON_V1}`);
  });

  it("verifies a signature made with the secret within the tolerance", async () => {
    expect(await verifyWebhook(SECRET, `t=${T},v1=${PYTHON_V1}`, BODY, { now: T + 299 })).toBe(true);
    // A rotated secret: any v1 may match.
    expect(await verifyWebhook(SECRET, `t=${T},v1=${"0".repeat(64)},v1=${PYTHON_V1}`, BODY, { now: T })).toBe(true);
  });

  it("refuses a tampered body, another secret, an old or future timestamp, and malformed headers", async () => {
    const header = await signWebhook(SECRET, BODY, T);
    expect(await verifyWebhook(SECRET, header, BODY.replace("succeeded", "failed"), { now: T })).toBe(false);
    expect(await verifyWebhook("whsec_another-secret-000000", header, BODY, { now: T })).toBe(false);
    expect(await verifyWebhook(SECRET, header, BODY, { now: T + 301 })).toBe(false);
    expect(await verifyWebhook(SECRET, header, BODY, { now: T - 301 })).toBe(false);
    expect(await verifyWebhook(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, { now: T })).toBe(false);
    for (const bad of [
      undefined,
      null,
      "",
      `v1=${PYTHON_V1}`,
      `t=${T}`,
      `t=${T},t=${T},v1=${PYTHON_V1}`,
      `t=abc,v1=${PYTHON_V1}`,
      `t=${T},v1=${PYTHON_V1.slice(2)}`,
      `t=${T},v1=${PYTHON_V1.toUpperCase()}`,
    ]) {
      expect(await verifyWebhook(SECRET, bad, BODY, { now: T })).toBe(false);
    }
  });
});

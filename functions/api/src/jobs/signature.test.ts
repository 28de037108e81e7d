import { describe, expect, it } from "vitest";
import { signWebhook, tenantWebhookSecret, verifyWebhook } from "./signature.js";

// The expected HMAC is Python's: hmac.new(secret, b"1796000000." + body, hashlib.sha256).hexdigest().
const SECRET = "whsec_test-secret-0123456789";
const BODY = '{"type":"job.succeeded"}';
const T = 1_796_000_000;
const PYTHON_V1 = "efe29a846aab215da9cf060201b595ad575f72088491673948459ff0806bf6fe";

describe("webhook signatures (Semla-Signature: t=…,v1=…, as Stripe signs)", () => {
  it("signs t + '.' + body with HMAC-SHA256, as Python's hmac computes it", () => {
    expect(signWebhook(SECRET, BODY, T)).toBe(`t=${T},v1=${PYTHON_V1}`);
  });

  it("verifies a signature made with the secret within the tolerance", () => {
    expect(verifyWebhook(SECRET, `t=${T},v1=${PYTHON_V1}`, BODY, { now: T + 299 })).toBe(true);
    // A rotated secret: any v1 may match.
    expect(verifyWebhook(SECRET, `t=${T},v1=${"0".repeat(64)},v1=${PYTHON_V1}`, BODY, { now: T })).toBe(true);
  });

  it("refuses a tampered body, another secret, an old or future timestamp, and malformed headers", () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhook(SECRET, header, BODY.replace("succeeded", "failed"), { now: T })).toBe(false);
    expect(verifyWebhook("whsec_another-secret-000000", header, BODY, { now: T })).toBe(false);
    expect(verifyWebhook(SECRET, header, BODY, { now: T + 301 })).toBe(false);
    expect(verifyWebhook(SECRET, header, BODY, { now: T - 301 })).toBe(false);
    expect(verifyWebhook(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, { now: T })).toBe(false);
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
      expect(verifyWebhook(SECRET, bad, BODY, { now: T })).toBe(false);
    }
  });

  it("derives one secret per tenant from the service's: stable, and different between tenants", () => {
    const a = tenantWebhookSecret("service-secret-0123456789", "acme");
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(tenantWebhookSecret("service-secret-0123456789", "acme")).toBe(a);
    expect(tenantWebhookSecret("service-secret-0123456789", "globex")).not.toBe(a);
    expect(tenantWebhookSecret("another-service-secret-01", "acme")).not.toBe(a);
  });
});

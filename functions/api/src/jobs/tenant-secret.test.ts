import { describe, expect, it } from "vitest";
import { tenantWebhookSecret } from "./tenant-secret.js";

const PYTHON_ACME = "whsec_fLOYOSZDa387AphFVZlAqZS3knFdg1sp_ummOrVCkts";

describe("tenantWebhookSecret", () => {
  // Python: "whsec_" + base64.urlsafe_b64encode(hmac.new(b"service-secret-0123456789", b"semla-webhook:acme", hashlib.sha256).digest()).rstrip(b"=")
  it("derives one secret per tenant from the service's: stable, and different between tenants", () => {
    const a = tenantWebhookSecret("service-secret-0123456789", "acme");
    expect(a).toBe(PYTHON_ACME);
    expect(tenantWebhookSecret("service-secret-0123456789", "acme")).toBe(a);
    expect(tenantWebhookSecret("service-secret-0123456789", "globex")).not.toBe(a);
    expect(tenantWebhookSecret("another-service-secret-01", "acme")).not.toBe(a);
  });
});

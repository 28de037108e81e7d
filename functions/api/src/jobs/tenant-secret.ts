import { createHmac } from "node:crypto";

/** A tenant's webhook secret: derived from the service's, so each tenant verifies with its own and cannot sign another's. */
export function tenantWebhookSecret(serviceSecret: string, tenant: string): string {
  return `whsec_${createHmac("sha256", serviceSecret).update(`semla-webhook:${tenant}`).digest("base64url")}`;
}

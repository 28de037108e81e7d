import { createHash, createHmac } from "node:crypto";

/**
 * Secrets set per stage with `npx sst secret set <Name> <value> --stage <stage>`; a deploy stops
 * with SST's message naming the secret when one is not set.
 *
 * ApiKey: the first API key of the stage, so a fresh deployment can be called at all. Only its
 * sha256 leaves this module (the registry stores keys as sha256 hex, never in clear): the
 * migrator records it, and no function configuration holds the key itself.
 *
 * jobsWebhookSecret: the service's key of the jobs' webhook signatures (SEMLA_JOBS_WEBHOOK_SECRET;
 * each tenant signs with one derived from it). Generated, nothing to set: HMAC-SHA256 of ApiKey
 * under its own label, so it reveals nothing of the key, stays the same across deploys, and
 * changes (with every tenant's webhook secret) when ApiKey is rotated.
 */
export const JOBS_WEBHOOK_LABEL = "semla-jobs-webhook-secret";

export function createSecrets() {
  const apiKey = new sst.Secret("ApiKey");
  const apiKeySha256 = apiKey.value.apply((key) => createHash("sha256").update(key, "utf8").digest("hex"));
  const jobsWebhookSecret = $util.secret(apiKey.value.apply((key) => createHmac("sha256", key).update(JOBS_WEBHOOK_LABEL).digest("base64url")));
  return { apiKey, apiKeySha256, jobsWebhookSecret };
}

export type Secrets = ReturnType<typeof createSecrets>;

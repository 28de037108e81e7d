import { createHash } from "node:crypto";

/**
 * Secrets set per stage with `npx sst secret set <Name> <value> --stage <stage>`; a deploy stops
 * with SST's message naming the secret when one is not set.
 *
 * ApiKey: the first API key of the stage, so a fresh deployment can be called at all. Only its
 * sha256 leaves this module (the registry stores keys as sha256 hex, never in clear): the
 * migrator records it, and no function configuration holds the key itself.
 */
export function createSecrets() {
  const apiKey = new sst.Secret("ApiKey");
  const apiKeySha256 = apiKey.value.apply((key) => createHash("sha256").update(key, "utf8").digest("hex"));
  return { apiKey, apiKeySha256 };
}

export type Secrets = ReturnType<typeof createSecrets>;

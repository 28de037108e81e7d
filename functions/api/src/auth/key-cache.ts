import type { ApiKeyRecord, ApiKeyStore } from "@semla/registry";

/**
 * Authenticated keys remembered for a few seconds, so a warm request costs no database round trip
 * for its key. The price: a revoked key keeps working for at most `ttlMs` in a warm instance.
 * Unknown keys are not remembered (a wrong key must not lock out the right one, and guesses would
 * fill memory).
 */
export function cachedKeys(keys: ApiKeyStore, { ttlMs = 10_000, maxEntries = 10_000 } = {}): ApiKeyStore {
  const known = new Map<string, { record: ApiKeyRecord; until: number }>();
  // Bumped by each revocation: a lookup that began before it does not fill the cache after it.
  let revocations = 0;
  return {
    ...keys,
    async authenticate(key) {
      const now = Date.now();
      const hit = known.get(key);
      if (hit && hit.until > now) return hit.record;
      const epoch = revocations;
      const record = await keys.authenticate(key);
      known.delete(key);
      if (record && epoch === revocations) {
        if (known.size >= maxEntries) known.delete(known.keys().next().value as string);
        known.set(key, { record, until: now + ttlMs });
      }
      return record;
    },
    async revoke(tenant, id) {
      // This instance forgets at once (once the revocation is stored); others within the TTL.
      const revoked = await keys.revoke(tenant, id);
      revocations++;
      known.clear();
      return revoked;
    },
  };
}

import type { ApiKeyRecord, ApiKeyStore } from "@semla/registry";

/**
 * Authenticated keys remembered for a few seconds, so a warm request costs no database round trip
 * for its key. The price: a revoked key keeps working for at most `ttlMs` in a warm instance.
 * Unknown keys are not remembered (a wrong key must not lock out the right one, and guesses would
 * fill memory).
 */
export function cachedKeys(keys: ApiKeyStore, { ttlMs = 10_000, maxEntries = 10_000 } = {}): ApiKeyStore {
  const known = new Map<string, { record: ApiKeyRecord; until: number }>();
  return {
    ...keys,
    async authenticate(key) {
      const now = Date.now();
      const hit = known.get(key);
      if (hit && hit.until > now) return hit.record;
      const record = await keys.authenticate(key);
      known.delete(key);
      if (record) {
        if (known.size >= maxEntries) known.delete(known.keys().next().value as string);
        known.set(key, { record, until: now + ttlMs });
      }
      return record;
    },
    async revoke(tenant, id) {
      // This instance forgets at once; others within the TTL.
      known.clear();
      return keys.revoke(tenant, id);
    },
  };
}

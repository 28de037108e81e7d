import { type ApiKeyRecord, type ApiKeyStore, hashApiKey } from "@semla/registry";

export interface KeyCacheOptions {
  /** How long a valid key is remembered: a revoked key keeps working this long in a warm instance. */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /**
   * How long an unknown key is remembered as unknown: a key recorded elsewhere (another process,
   * the deploy's bootstrap hash) works here at most this long after a refused attempt with it.
   */
  readonly unknownTtlMs?: number;
  readonly maxUnknownEntries?: number;
}

/**
 * Key lookups, remembered briefly, so a warm request costs no database round trip for its key and a
 * flood of invalid keys does not become a flood of queries:
 * - a valid key for `ttlMs` (10 s); revoking through this store forgets them all at once;
 * - an unknown (or revoked) key for `unknownTtlMs` (5 s); creating or recording a key through this
 *   store forgets it at once;
 * - concurrent lookups of one key share one query.
 * Both maps are bounded (oldest out first) and keyed by the key's sha256, so neither a guessing
 * client nor long keys can grow memory past a few MB. A failed lookup (an outage) is not remembered.
 */
export function cachedKeys(keys: ApiKeyStore, options: KeyCacheOptions = {}): ApiKeyStore {
  const { ttlMs = 10_000, maxEntries = 10_000, unknownTtlMs = 5_000, maxUnknownEntries = 10_000 } = options;
  const known = new Map<string, { record: ApiKeyRecord; until: number }>();
  const unknown = new Map<string, number>();
  const inFlight = new Map<string, Promise<ApiKeyRecord | undefined>>();
  // Bumped by every key made here: a lookup that began before it does not remember "unknown".
  let generation = 0;
  // Bumped by each revocation: a lookup that began before it does not remember the key as valid.
  let revocations = 0;

  function remember<V>(map: Map<string, V>, id: string, value: V, max: number): void {
    map.delete(id);
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(id, value);
  }

  return {
    ...keys,
    async authenticate(key) {
      const id = hashApiKey(key);
      const now = Date.now();
      const hit = known.get(id);
      if (hit && hit.until > now) return hit.record;
      const miss = unknown.get(id);
      if (miss !== undefined && miss > now) return undefined;
      const pending = inFlight.get(id);
      if (pending) return pending;
      const began = generation;
      const epoch = revocations;
      const lookup = keys
        .authenticate(key)
        .then((record) => {
          known.delete(id);
          unknown.delete(id);
          if (record && epoch === revocations) remember(known, id, { record, until: Date.now() + ttlMs }, maxEntries);
          else if (began === generation) remember(unknown, id, Date.now() + unknownTtlMs, maxUnknownEntries);
          return record;
        })
        .finally(() => inFlight.delete(id));
      inFlight.set(id, lookup);
      return lookup;
    },
    async create(tenant, name) {
      const created = await keys.create(tenant, name);
      generation++;
      unknown.delete(hashApiKey(created.key));
      return created;
    },
    async recordHash(tenant, name, keyHash) {
      const recorded = await keys.recordHash(tenant, name, keyHash);
      generation++;
      unknown.delete(keyHash);
      return recorded;
    },
    async revoke(tenant, id) {
      // This instance forgets at once (once the revocation is stored); others within the TTL.
      const revoked = await keys.revoke(tenant, id);
      revocations++;
      known.clear();
      inFlight.clear();
      return revoked;
    },
  };
}

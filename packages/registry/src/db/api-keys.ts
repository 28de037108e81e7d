import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { RegistryDatabase } from "./database.js";
import { guardOutages, outageClassifierOf } from "./outage.js";
import { apiKeys } from "./schema.js";
import { storableText } from "./text.js";

/**
 * API keys: shown once when created, stored only as their sha256. A key is long and random
 * (32 bytes), so a plain hash suffices (no salt/KDF: nothing to brute-force), and lookups are one
 * indexed equality on the hash.
 */
export const API_KEY_PREFIX = "semla_";

export interface ApiKeyRecord {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface ApiKeyStore {
  /** A new key for the tenant: the clear key is returned here and nowhere else. */
  create(tenant: string, name: string): Promise<{ key: string; record: ApiKeyRecord }>;
  /**
   * Records a key made elsewhere, by its sha256 (the deploy's bootstrap key: its clear text never
   * reaches the service). false when that hash is already recorded, revoked or not.
   */
  recordHash(tenant: string, name: string, keyHash: string): Promise<boolean>;
  /** The tenant of an unrevoked key, or undefined. */
  authenticate(key: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Revokes the key `id` of the tenant (undefined: of any tenant, for operators); the key stops
   * authenticating at once. Idempotent: a key revoked before comes back with its first revokedAt.
   * undefined when the tenant has no key `id`.
   */
  revoke(tenant: string | undefined, id: string): Promise<ApiKeyRecord | undefined>;
  /** The keys of the tenant (undefined: of every tenant), oldest first, revoked ones included; never a key or its hash. */
  list(tenant?: string): Promise<ApiKeyRecord[]>;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

const columns = { id: apiKeys.id, tenant: apiKeys.tenant, name: apiKeys.name, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt };

/** `last_used_at` is written at most once a minute per key, so authentication is a read on most requests. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function createApiKeyStore(db: RegistryDatabase): ApiKeyStore {
  const store: ApiKeyStore = {
    async create(tenant, name) {
      storableText("tenant", tenant);
      storableText("name", name);
      const key = generateApiKey();
      const [record] = await db
        .insert(apiKeys)
        .values({ tenant, name, keyHash: hashApiKey(key) })
        .returning(columns);
      return { key, record: record! };
    },
    async recordHash(tenant, name, keyHash) {
      if (!/^[0-9a-f]{64}$/.test(keyHash)) throw new RangeError("an API key hash is 64 lowercase hex digits (sha256)");
      storableText("tenant", tenant);
      storableText("name", name);
      const inserted = await db.insert(apiKeys).values({ tenant, name, keyHash }).onConflictDoNothing({ target: apiKeys.keyHash }).returning({ id: apiKeys.id });
      return inserted.length === 1;
    },
    async authenticate(key) {
      const [record] = await db
        .select(columns)
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, hashApiKey(key)), isNull(apiKeys.revokedAt)));
      if (!record) return undefined;
      if (!record.lastUsedAt || Date.now() - record.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
        await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, record.id));
      }
      return record;
    },
    async revoke(tenant, id) {
      if (tenant !== undefined) storableText("tenant", tenant);
      storableText("id", id);
      // Compared as text: an id that is not a uuid is simply not found (no cast error).
      const key = and(sql`${apiKeys.id}::text = ${id}`, tenant === undefined ? undefined : eq(apiKeys.tenant, tenant));
      const [revoked] = await db
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(key, isNull(apiKeys.revokedAt)))
        .returning(columns);
      if (revoked) return revoked;
      const [before] = await db.select(columns).from(apiKeys).where(key);
      return before;
    },
    list: (tenant) => {
      if (tenant !== undefined) storableText("tenant", tenant);
      return db
        .select(columns)
        .from(apiKeys)
        .where(tenant === undefined ? undefined : eq(apiKeys.tenant, tenant))
        .orderBy(apiKeys.createdAt, apiKeys.id);
    },
  };
  // The API's first query of every request: with the database down it must answer 503, not 500.
  return guardOutages(store, outageClassifierOf(db));
}

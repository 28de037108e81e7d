// Part of the AdapterIndex contract (index.ts): API keys are hashed at rest, scoped to a tenant, revocable.
import { beforeAll, describe, expect, it } from "vitest";
import { API_KEY_PREFIX, createApiKeyStore, hashApiKey } from "../../db/api-keys.js";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { uniqueTenant } from "../fixtures.js";
import type { ContractDatabase, ContractSuite } from "./suite.js";

export function describeApiKeys(suite: ContractSuite): void {
  let db: ContractDatabase;
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ db, index } = suite);
  });

  describe("api keys", () => {
    it("store only the key's sha256, authenticate to the key's tenant, and stop at revocation", async () => {
      const keys = createApiKeyStore(index.db);
      const tenant = uniqueTenant();
      const { key, record } = await keys.create(tenant, "ci");
      expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
      const stored = await db.query(`SELECT key_hash FROM api_keys WHERE id = '${record.id}'`);
      expect(stored).toEqual([{ key_hash: hashApiKey(key) }]);
      expect((await keys.authenticate(key))?.tenant).toBe(tenant);
      expect(await keys.authenticate(`${key}x`)).toBeUndefined();
      expect(await keys.revoke(uniqueTenant(), record.id)).toBeUndefined();
      const revoked = await keys.revoke(tenant, record.id);
      expect(revoked).toMatchObject({ id: record.id, tenant, name: "ci", revokedAt: expect.any(Date) });
      expect(await keys.authenticate(key)).toBeUndefined();
    });

    it("list a tenant's keys (or every tenant's) oldest first, revoked ones with their time, never a hash", async () => {
      const keys = createApiKeyStore(index.db);
      const [a, b] = [uniqueTenant(), uniqueTenant()];
      const first = await keys.create(a, "first");
      const second = await keys.create(a, "second");
      const other = await keys.create(b, "other");
      await keys.authenticate(second.key);
      await keys.revoke(a, first.record.id);
      const listed = await keys.list(a);
      // Oldest first; keys made within one millisecond (created_at's precision) tie, then by id.
      expect(listed.map((k) => [k.id, k.tenant, k.name]).sort()).toEqual(
        [
          [first.record.id, a, "first"],
          [second.record.id, a, "second"],
        ].sort(),
      );
      expect(listed[0]!.createdAt.getTime()).toBeLessThanOrEqual(listed[1]!.createdAt.getTime());
      expect(listed.find((k) => k.id === first.record.id)!.revokedAt).toBeInstanceOf(Date);
      expect(listed.find((k) => k.id === second.record.id)).toMatchObject({ revokedAt: null, lastUsedAt: expect.any(Date) });
      expect(Object.keys(listed[0]!).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "revokedAt", "tenant"]);
      const all = (await keys.list()).map((k) => k.id);
      expect(all).toEqual(expect.arrayContaining([first.record.id, second.record.id, other.record.id]));
    });

    it("revoke by id for an operator (any tenant), idempotently: a second revoke returns the first revocation; an unknown or malformed id is undefined", async () => {
      const keys = createApiKeyStore(index.db);
      const tenant = uniqueTenant();
      const { key, record } = await keys.create(tenant, "ops");
      const revoked = await keys.revoke(undefined, record.id);
      expect(revoked).toMatchObject({ id: record.id, tenant, revokedAt: expect.any(Date) });
      expect(await keys.authenticate(key)).toBeUndefined();
      expect((await keys.revoke(undefined, record.id))?.revokedAt).toEqual(revoked!.revokedAt);
      expect(await keys.revoke(undefined, "6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f")).toBeUndefined();
      expect(await keys.revoke(undefined, "not-a-uuid")).toBeUndefined();
    });

    it("record a key made elsewhere by its hash, once: the key then authenticates", async () => {
      const keys = createApiKeyStore(index.db);
      const tenant = uniqueTenant();
      const key = `${API_KEY_PREFIX}${"k".repeat(43)}-${tenant}`;
      expect(await keys.recordHash(tenant, "bootstrap", hashApiKey(key))).toBe(true);
      expect(await keys.recordHash(tenant, "bootstrap", hashApiKey(key))).toBe(false);
      expect(await keys.authenticate(key)).toMatchObject({ tenant, name: "bootstrap" });
      await expect(keys.recordHash(tenant, "bootstrap", key)).rejects.toThrow(RangeError);
    });
  });
}

import { type ApiKeyStore, createApiKeyStore, type DrizzleAdapterIndex, hashApiKey } from "@semla/registry";
import { createTestPgliteIndex } from "@semla/registry/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { cachedKeys } from "./key-cache.js";

/** The real key store (PGlite), counting the lookups that reach the database. */
function counted(keys: ApiKeyStore): { keys: ApiKeyStore; lookups: string[] } {
  const lookups: string[] = [];
  return { lookups, keys: { ...keys, authenticate: (key) => (lookups.push(key), keys.authenticate(key)) } };
}

describe("cachedKeys: one database lookup per key and TTL, for valid and invalid keys alike", () => {
  let index: DrizzleAdapterIndex;
  let store: ApiKeyStore;
  beforeAll(async () => {
    index = await createTestPgliteIndex();
    store = createApiKeyStore(index.db);
  });
  afterAll(async () => {
    await index?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a flood of 1,000 identical invalid keys, 500 at once then 500 one by one, costs one lookup", async () => {
    const { keys, lookups } = counted(store);
    const cache = cachedKeys(keys);
    const wrong = "semla_not-a-key";
    expect(await Promise.all(Array.from({ length: 500 }, () => cache.authenticate(wrong)))).toEqual(Array(500).fill(undefined));
    for (let i = 0; i < 500; i++) expect(await cache.authenticate(wrong)).toBeUndefined();
    expect(lookups).toEqual([wrong]);
  });

  it("distinct invalid keys cost one lookup each, and the cache of them stays bounded: the oldest is looked up again", async () => {
    const { keys, lookups } = counted(store);
    const cache = cachedKeys(keys, { maxUnknownEntries: 100 });
    const guesses = Array.from({ length: 101 }, (_, i) => `semla_guess-${i}`);
    for (const guess of guesses) await cache.authenticate(guess);
    for (const guess of guesses.slice(1)) await cache.authenticate(guess);
    expect(lookups).toHaveLength(101);
    await cache.authenticate(guesses[0]!);
    expect(lookups).toHaveLength(102);
    expect(lookups[101]).toBe(guesses[0]);
  });

  it("forgets an unknown key after unknownTtlMs, so a key recorded elsewhere then works", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { keys, lookups } = counted(store);
    const cache = cachedKeys(keys, { unknownTtlMs: 5_000 });
    const key = `semla_bootstrap-${Date.now()}`;
    expect(await cache.authenticate(key)).toBeUndefined();
    // Recorded by another process (the migrator's bootstrap hash, `semla keys create`): not through this cache.
    expect(await store.recordHash("tenant-later", "bootstrap", hashApiKey(key))).toBe(true);
    vi.advanceTimersByTime(4_999);
    expect(await cache.authenticate(key)).toBeUndefined();
    vi.advanceTimersByTime(2);
    expect(await cache.authenticate(key)).toMatchObject({ tenant: "tenant-later" });
    expect(lookups).toEqual([key, key]);
  });

  it("a key created through the cache works at once, even after a refused attempt with it", async () => {
    const { keys, lookups } = counted(store);
    const cache = cachedKeys(keys);
    const { key } = await cache.create("tenant-now", "ci");
    const created = { tenant: "tenant-now", name: "ci" };
    expect(await cache.authenticate(key)).toMatchObject(created);
    expect(await cache.authenticate(key)).toMatchObject(created);
    expect(lookups).toEqual([key]);
  });

  it("a valid key: one lookup per ttlMs; revoking through the cache takes effect at once", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { keys, lookups } = counted(store);
    const cache = cachedKeys(keys, { ttlMs: 10_000 });
    const { key, record } = await store.create("tenant-valid", "ci");
    for (let i = 0; i < 100; i++) expect(await cache.authenticate(key)).toMatchObject({ id: record.id });
    expect(lookups).toHaveLength(1);
    vi.advanceTimersByTime(10_001);
    await cache.authenticate(key);
    expect(lookups).toHaveLength(2);
    expect(await cache.revoke("tenant-valid", record.id)).toMatchObject({ id: record.id, revokedAt: expect.any(Date) });
    expect(await cache.authenticate(key)).toBeUndefined();
    expect(lookups).toHaveLength(3);
  });

  it("does not remember a failed lookup (an outage): the next attempt asks again", async () => {
    let failing = true;
    const lookups: string[] = [];
    const cache = cachedKeys({
      ...store,
      authenticate: async (key) => {
        lookups.push(key);
        if (failing) throw new Error("connection refused");
        return store.authenticate(key);
      },
    });
    await expect(cache.authenticate("semla_x")).rejects.toThrow("connection refused");
    failing = false;
    expect(await cache.authenticate("semla_x")).toBeUndefined();
    expect(lookups).toEqual(["semla_x", "semla_x"]);
  });
});

import { createApiKeyStore, type DrizzleAdapterIndex } from "@semla/registry";
import { createTestPgliteIndex } from "@semla/registry/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedKeys } from "./key-cache.js";

describe("the key cache on revocation", () => {
  let index: DrizzleAdapterIndex;
  beforeAll(async () => {
    index = await createTestPgliteIndex();
  });
  afterAll(() => index.close());

  it("forgets a revoked key at once, even one whose lookup was in flight when it was revoked", async () => {
    const store = createApiKeyStore(index.db);
    const { key, record } = await store.create("acme", "ci");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    let held = false;
    // The real store, with the answer of one lookup held back until after the revocation.
    const keys = cachedKeys({
      ...store,
      async authenticate(k) {
        const found = await store.authenticate(k);
        if (!held) {
          held = true;
          readDone();
          await gate;
        }
        return found;
      },
    });

    const inFlight = keys.authenticate(key);
    await read; // the lookup has read the row, unrevoked
    expect((await keys.revoke("acme", record.id))?.revokedAt).toBeInstanceOf(Date);
    release();
    expect((await inFlight)?.id).toBe(record.id); // a request already under way was authenticated before
    expect(await keys.authenticate(key)).toBeUndefined();
  });

  it("forgets a cached key when it is revoked", async () => {
    const store = createApiKeyStore(index.db);
    const { key, record } = await store.create("acme", "cached");
    const keys = cachedKeys(store);
    expect((await keys.authenticate(key))?.id).toBe(record.id);
    await keys.revoke(undefined, record.id);
    expect(await keys.authenticate(key)).toBeUndefined();
  });
});

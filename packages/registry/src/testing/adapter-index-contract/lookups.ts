// Part of the AdapterIndex contract (index.ts): what the API and the sweep read (findBySha256, getAdapter,
// listAdapters, stalePending, referencesObject).
import { beforeAll, describe, expect, it } from "vitest";
import type { AdapterRecord } from "../../db/adapter-index.js";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { addActive, newAdapter, rejection, uniqueTenant } from "../fixtures.js";
import { type ContractSuite, ids } from "./suite.js";

export function describeLookups(suite: ContractSuite): void {
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ index } = suite);
  });
  const { library } = suite;

  describe("findBySha256", () => {
    it("finds the active or superseded row of that name with those bytes, never a pending one", async () => {
      const lib = await library();
      const sha = "ab".repeat(32);
      const pending = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0], { sha256: sha }));
      expect(await index.findBySha256(lib.id, "fog", sha)).toBeUndefined();
      await index.activate(pending.id);
      expect((await index.findBySha256(lib.id, "fog", sha))?.id).toBe(pending.id);
      await addActive(index, lib, "fog", [1, 0, 0, 0]);
      expect(await index.findBySha256(lib.id, "fog", sha)).toMatchObject({ id: pending.id, status: "superseded" });
      expect(await index.findBySha256(lib.id, "rain", sha)).toBeUndefined();
      expect(await index.findBySha256("nope", "fog", sha)).toBeUndefined();
    });
  });

  describe("getAdapter and listAdapters", () => {
    it("getAdapter is scoped by tenant", async () => {
      const lib = await library();
      const a = await addActive(index, lib, "fog", [0, 0, 0, 0]);
      expect(await index.getAdapter(lib.tenant, a.id)).toEqual(a);
      expect(await index.getAdapter(uniqueTenant(), a.id)).toBeUndefined();
      expect(await index.getAdapter(lib.tenant, "nope")).toBeUndefined();
    });

    it("pages newest first and returns every row exactly once", async () => {
      const tenant = uniqueTenant();
      const a = await library({ tenant, name: "a" });
      const b = await library({ tenant, name: "b" });
      const made: AdapterRecord[] = [];
      for (let i = 0; i < 4; i++) made.push(await index.activate((await index.insertPending(newAdapter(a.id, `n${i % 2}`, [i, 0, 0, 0]))).id));
      const concurrent = await Promise.all([0, 1, 2].map((i) => index.insertPending(newAdapter(b.id, "m", [i, 0, 0, 0]))));
      for (const row of concurrent) made.push(await index.activate(row.id));
      await addActive(index, await library(), "elsewhere", [0, 0, 0, 0]);

      const seen: AdapterRecord[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await index.listAdapters(tenant, { limit: 3, ...(cursor ? { cursor } : {}) });
        sizes.push(page.items.length);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([3, 3, 1]);
      expect(ids(seen).sort()).toEqual(ids(made).sort());
      const order = seen.map((r) => [r.createdAt.getTime(), r.id] as const);
      const newestFirst = [...order].sort((x, y) => y[0] - x[0] || (y[1] > x[1] ? 1 : y[1] < x[1] ? -1 : 0));
      expect(order).toEqual(newestFirst);
      expect((await index.listAdapters(tenant, { limit: 7 })).nextCursor).toBeUndefined();
    });

    it("filters by library, name and status, within the tenant only", async () => {
      const tenant = uniqueTenant();
      const a = await library({ tenant, name: "a" });
      const b = await library({ tenant, name: "b" });
      const fog = await addActive(index, a, "fog", [0, 0, 0, 0]);
      const rain = await index.insertPending(newAdapter(a.id, "rain", [0, 0, 0, 0]));
      const snow = await addActive(index, b, "snow", [0, 0, 0, 0]);
      const list = async (filter: Omit<Parameters<typeof index.listAdapters>[1], "limit">, as = tenant) => ids((await index.listAdapters(as, { limit: 10, ...filter })).items).sort();
      // rain is still pending (its upload unfinished): not an adapter yet, never listed.
      expect(rain.status).toBe("pending");
      expect(await list({ libraryId: a.id })).toEqual([fog.id]);
      expect(await list({ name: "snow" })).toEqual([snow.id]);
      expect(await list({ libraryId: a.id, status: "active" })).toEqual([fog.id]);
      expect(await list({}, uniqueTenant())).toEqual([]);
      expect(await list({ libraryId: a.id }, uniqueTenant())).toEqual([]);
      expect(await list({ libraryId: "nope" })).toEqual([]);
    });

    it("refuses a cursor it did not make", async () => {
      const error = await rejection(index.listAdapters(uniqueTenant(), { limit: 3, cursor: "garbage" }));
      expect(error.code).toBe("registry.invalid-cursor");
    });
  });

  describe("stalePending and referencesObject", () => {
    it("stalePending lists pending rows last updated before the given time", async () => {
      const lib = await library();
      const pending = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0]));
      const done = await addActive(index, lib, "rain", [0, 0, 0, 0]);
      const stale = async (before: Date) => ids(await index.stalePending(before)).filter((id) => [pending.id, done.id].includes(id));
      expect(await stale(pending.updatedAt)).toEqual([]);
      expect(await stale(new Date(pending.updatedAt.getTime() + 1))).toEqual([pending.id]);
      expect(await stale(new Date(Date.now() + 60_000))).toEqual([pending.id]);
    });

    it("referencesObject is true while any row has the key", async () => {
      const lib = await library();
      const pending = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0]));
      expect(await index.referencesObject(pending.objectKey)).toBe(true);
      await index.deleteAdapter(pending.id);
      expect(await index.referencesObject(pending.objectKey)).toBe(false);
    });
  });
}

// Part of the AdapterIndex contract (index.ts): contributions, which adapters served a tenant's requests and with what weight.
import { beforeAll, describe, expect, it } from "vitest";
import { createContributionStore } from "../../db/contributions.js";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { addActive, uniqueTenant } from "../fixtures.js";
import type { ContractSuite } from "./suite.js";

export function describeContributions(suite: ContractSuite): void {
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ index } = suite);
  });
  const { library } = suite;

  describe("contributions", () => {
    it("aggregate per adapter of the tenant's library, most weight first; other tenants see nothing", async () => {
      const store = createContributionStore(index.db);
      const lib = await library();
      const a = await addActive(index, lib, "a", [0, 0, 0, 1]);
      const b = await addActive(index, lib, "b", [0, 0, 1, 0]);
      await store.record(lib.id, "r1", [
        { adapterId: a.id, rank: 1, weight: 0.75, distance: 0.5 },
        { adapterId: b.id, rank: 2, weight: 0.25, distance: 1 },
      ]);
      await store.record(lib.id, "r2", [{ adapterId: b.id, rank: 1, weight: 1, distance: 0 }]);
      const stats = await store.stats(lib.tenant, lib.id);
      expect(stats?.requests).toBe(2);
      expect(stats?.adapters.map(({ lastUsedAt, ...rest }) => rest)).toEqual([
        { adapterId: b.id, name: "b", version: 1, uses: 2, totalWeight: 1.25, meanWeight: 0.625, maxWeight: 1, topRank: 1 },
        { adapterId: a.id, name: "a", version: 1, uses: 1, totalWeight: 0.75, meanWeight: 0.75, maxWeight: 0.75, topRank: 1 },
      ]);
      expect(await store.stats(uniqueTenant(), lib.id)).toBeUndefined();
      expect((await store.stats(lib.tenant, lib.id, { since: new Date(Date.now() + 60_000) }))?.adapters).toEqual([]);
      // Deleting an adapter takes its history with it.
      await index.deleteAdapter(a.id);
      expect((await store.stats(lib.tenant, lib.id))?.adapters.map((s) => s.name)).toEqual(["b"]);
    });
  });
}

// Part of the AdapterIndex contract (index.ts): text PostgreSQL cannot store is refused before any query.
import { beforeAll, describe, expect, it } from "vitest";
import { createApiKeyStore } from "../../db/api-keys.js";
import { createContributionStore } from "../../db/contributions.js";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { addActive, CONFIG, newAdapter, newLibrary, rejection, uniqueTenant } from "../fixtures.js";
import type { ContractSuite } from "./suite.js";

export function describeText(suite: ContractSuite): void {
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ index } = suite);
  });
  const { library } = suite;

  describe("text PostgreSQL cannot store (NUL, lone surrogates)", () => {
    const refusal = async (promise: Promise<unknown>) => {
      const error = await rejection(promise);
      return [error.code, error.kind, error.details.field];
    };

    it("is refused with registry.invalid-text naming the field, before any query: nothing is stored", async () => {
      const tenant = uniqueTenant();
      expect(await refusal(index.createLibrary(newLibrary({ tenant, name: "al\u0000ps" })))).toEqual(["registry.invalid-text", "invalid", "name"]);
      expect(await refusal(index.createLibrary(newLibrary({ tenant, baseModelId: "b\ud800" })))).toEqual(["registry.invalid-text", "invalid", "baseModelId"]);
      expect(await refusal(index.createLibrary(newLibrary({ tenant, embeddingModelId: "\udc00e" })))).toEqual(["registry.invalid-text", "invalid", "embeddingModelId"]);
      expect(await refusal(index.createLibrary(newLibrary({ tenant: "t\u0000" })))).toEqual(["registry.invalid-text", "invalid", "tenant"]);
      expect(await index.listLibraries(tenant)).toEqual([]);

      const lib = await library({ tenant });
      expect(await refusal(index.insertPending(newAdapter(lib.id, "fog\u0000", [0, 0, 0, 1])))).toEqual(["registry.invalid-text", "invalid", "name"]);
      const config = { ...CONFIG, task_type: "SEG\u0000", layers: [{ "ke\ud83dy": 1 }] };
      expect(await refusal(index.insertPending({ ...newAdapter(lib.id, "fog", [0, 0, 0, 1]), config: { ...config, layers: [] } }))).toEqual(["registry.invalid-text", "invalid", "config.task_type"]);
      expect(await refusal(index.insertPending({ ...newAdapter(lib.id, "fog", [0, 0, 0, 1]), config: { ...config, task_type: null } }))).toEqual([
        "registry.invalid-text",
        "invalid",
        "config.layers.0.ke\ud83dy",
      ]);
      expect((await index.listAdapters(tenant, { limit: 10 })).items).toEqual([]);

      expect(await refusal(index.findBySha256(lib.id, "fog\u0000", "0".repeat(64)))).toEqual(["registry.invalid-text", "invalid", "name"]);
      expect(await refusal(index.listAdapters(tenant, { name: "\u0000", limit: 10 }))).toEqual(["registry.invalid-text", "invalid", "name"]);
      expect(await refusal(index.nearest(lib.id, Float32Array.of(0, 0, 0, 1), { k: 1, exclude: ["a", "b\u0000"] }))).toEqual(["registry.invalid-text", "invalid", "exclude.1"]);
      const keys = createApiKeyStore(index.db);
      expect(await refusal(keys.create(tenant, "c\u0000i"))).toEqual(["registry.invalid-text", "invalid", "name"]);
      expect(await refusal(keys.revoke(tenant, "\u0000"))).toEqual(["registry.invalid-text", "invalid", "id"]);
      expect(await keys.list(tenant)).toEqual([]);
      expect(await refusal(createContributionStore(index.db).record(lib.id, "r\u0000", [{ adapterId: lib.id, rank: 1, weight: 1, distance: 0 }]))).toEqual([
        "registry.invalid-text",
        "invalid",
        "requestId",
      ]);
    });

    it("well-formed text outside the BMP (a surrogate pair) is stored and found as given", async () => {
      const lib = await library({ name: "alps 🏔" });
      expect((await index.getLibrary(lib.tenant, lib.id))?.name).toBe("alps 🏔");
      const added = await addActive(index, lib, "fog-🌫", [0, 0, 0, 1]);
      expect((await index.listAdapters(lib.tenant, { name: "fog-🌫", limit: 10 })).items.map((a) => a.id)).toEqual([added.id]);
    });
  });
}

import { LIMITS } from "@semla/core";
import type { AdapterIndex, AdapterRecord, LibraryRecord } from "@semla/registry";
import { describe, expect, it } from "vitest";
import { uniformPlan } from "./retrieve.js";

const library = { id: "lib", tenant: "t", dimension: 2, metric: "euclidean" } as LibraryRecord;
const records = Array.from({ length: LIMITS.k + 1 }, (_, i) => ({ id: `id-${i}`, name: `a${i}`, version: 1, centroid: Float32Array.of(i, 0) }) as unknown as AdapterRecord);
/** Only what uniform retrieval reads: the library's active adapters, one page. */
const index = { listAdapters: async () => ({ items: records }) } as unknown as AdapterIndex;
const options = { exclude: [], exact: false };

describe("uniform retrieval is bounded by LIMITS.k", () => {
  it(`refuses to fuse every adapter of a library with ${LIMITS.k + 1} eligible ones unless k is given`, async () => {
    await expect(uniformPlan(index, library, Float32Array.of(0, 0), options)).rejects.toMatchObject({
      code: "pipeline.invalid-options",
      message: `uniform over every adapter would fuse ${LIMITS.k + 1}, over the limit of ${LIMITS.k}: give k (at most ${LIMITS.k})`,
      details: { eligible: LIMITS.k + 1, max: LIMITS.k },
    });
  });

  it(`fuses every adapter when ${LIMITS.k} are eligible, and the k nearest when k is given`, async () => {
    expect((await uniformPlan(index, library, Float32Array.of(0, 0), { ...options, exclude: ["a0"] })).plan.adapters).toHaveLength(LIMITS.k);
    expect((await uniformPlan(index, library, Float32Array.of(0, 0), { ...options, k: 3 })).plan.adapters.map((a) => a.id)).toEqual(["id-0", "id-1", "id-2"]);
  });
});

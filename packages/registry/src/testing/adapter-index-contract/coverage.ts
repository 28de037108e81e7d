// Part of the AdapterIndex contract (index.ts): what out-of-library detection keeps in the registry —
// each adapter's sample spread, the library's generation (bumped by every change to its active
// adapters), its calibration stored only for the generation it was computed at, and its policy.
import { coverage } from "@semla/core";
import { beforeAll, describe, expect, it } from "vitest";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { addActive, newAdapter } from "../fixtures.js";
import type { ContractSuite } from "./suite.js";

export function describeCoverage(suite: ContractSuite): void {
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ index } = suite);
  });
  const { library } = suite;
  const generationOf = async (lib: { tenant: string; id: string }) => (await index.getLibrary(lib.tenant, lib.id))?.generation;

  describe("coverage", () => {
    it("a new library is at generation 0, uncalibrated, with the fuse policy unless told otherwise", async () => {
      const lib = await library();
      expect(lib).toMatchObject({ generation: 0, calibration: null, coveragePolicy: "fuse" });
      expect(await library({ coveragePolicy: "refuse" })).toMatchObject({ coveragePolicy: "refuse" });
    });

    it("stores an adapter's spread, or null when its centroid came without samples", async () => {
      const lib = await library();
      expect((await addActive(index, lib, "fog", [0, 0, 0, 0], { spread: 0.125 })).spread).toBe(0.125);
      expect((await addActive(index, lib, "rain", [1, 0, 0, 0])).spread).toBeNull();
    });

    it("every change to the active adapters bumps the generation; pending and superseded rows do not", async () => {
      const lib = await library();
      const pending = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0]));
      expect(await generationOf(lib)).toBe(0);
      await index.activate(pending.id);
      expect(await generationOf(lib)).toBe(1);
      // A second activation of the same row is a no-op.
      await index.activate(pending.id);
      expect(await generationOf(lib)).toBe(1);
      const newer = await addActive(index, lib, "fog", [1, 0, 0, 0]);
      expect(await generationOf(lib)).toBe(2);
      // An older version finishing after a newer one is superseded at once: retrieval does not change.
      const late = await index.insertPending(newAdapter(lib.id, "fog", [2, 0, 0, 0]));
      await index.deleteAdapter(newer.id);
      expect(await generationOf(lib)).toBe(3);
      await index.deleteAdapter(late.id);
      expect(await generationOf(lib)).toBe(3);
    });

    it("stores a calibration only for the generation it was computed at", async () => {
      const lib = await library();
      await addActive(index, lib, "fog", [0, 0, 0, 0], { spread: 0.2 });
      const calibration = coverage.calibrate([{ id: "x", centroid: [0, 0, 0, 0], spread: 0.2 }], "euclidean");
      expect(await index.setCalibration(lib.id, { ...calibration, generation: 0 })).toBe(false);
      expect((await index.getLibrary(lib.tenant, lib.id))?.calibration).toBeNull();
      expect(await index.setCalibration(lib.id, { ...calibration, generation: 1 })).toBe(true);
      expect((await index.getLibrary(lib.tenant, lib.id))?.calibration).toEqual({ ...calibration, generation: 1 });
      expect(await index.setCalibration("not-a-uuid", { ...calibration, generation: 1 })).toBe(false);
    });
  });
}

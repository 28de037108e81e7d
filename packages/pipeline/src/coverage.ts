import { coverage, routing } from "@semla/core";
import type { AdapterIndex, AdapterRecord, LibraryRecord } from "@semla/registry";
import { z } from "zod";
import { activeAdapters } from "./retrieve.js";

/** A query's coverage, the policy that applied to it, and whether the base model was served instead of the plan. */
export const CoverageAnswerSchema = coverage.CoverageSchema.extend({
  policy: coverage.CoveragePolicySchema,
  fallback: z.boolean().describe("True when the zeroshot policy served the base model instead of the out-of-library plan (route: segment would)"),
});
export type CoverageAnswer = z.infer<typeof CoverageAnswerSchema>;

/**
 * A library's calibration at its current generation: the stored one when it is current, else
 * computed from the active adapters and stored (a concurrent change makes the store a no-op, and
 * the next request computes again). Concurrent requests for one generation share one computation.
 */
export function createCalibrations(index: AdapterIndex): (library: LibraryRecord) => Promise<coverage.LibraryCalibration> {
  const inFlight = new Map<string, Promise<coverage.LibraryCalibration>>();
  return (library) => {
    const stored = library.calibration;
    if (stored !== null && stored.generation === library.generation) return Promise.resolve(stored);
    const key = `${library.id}@${library.generation}`;
    const running = inFlight.get(key);
    if (running) return running;
    const computed = (async () => {
      const adapters = await activeAdapters(index, library);
      const calibration = coverage.calibrate(
        adapters.map((a) => ({ id: a.id, centroid: a.centroid, spread: a.spread })),
        library.metric,
      );
      await index.setCalibration(library.id, { ...calibration, generation: library.generation });
      return calibration;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, computed);
    return computed;
  };
}

/**
 * The coverage of a routed query: each planned adapter's distance in the library's metric (the
 * plan's own when it was routed in that metric, else measured here) against its radius.
 */
export function coverageOf(library: LibraryRecord, embedding: Float32Array, plan: routing.FusionPlan, rows: readonly AdapterRecord[], calibration: coverage.LibraryCalibration): coverage.Coverage {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const measured = plan.adapters.map((a) => {
    const row = byId.get(a.id);
    if (!row) throw new Error(`coverageOf: no row for planned adapter ${a.id}`);
    const distance = plan.metric === library.metric && a.distance !== null ? a.distance : routing.distance(library.metric, embedding, row.centroid);
    return { adapterId: a.id, distance, spread: row.spread };
  });
  return coverage.assessCoverage(measured, calibration);
}

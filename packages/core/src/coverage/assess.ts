import { z } from "zod";
import { type LibraryCalibration, radiusOf } from "./calibration.js";

export const CoverageStatusSchema = z
  .enum(["in-library", "out-of-library", "uncalibrated"])
  .describe("in-library: some planned adapter's calibrated radius holds the query; out-of-library: none does; uncalibrated: the library cannot say (fewer than two adapters and no sample spread)");
export type CoverageStatus = z.infer<typeof CoverageStatusSchema>;

export const CoverageSchema = z
  .object({
    status: CoverageStatusSchema,
    /** Distance to the nearest adapter (null: nothing to measure). */
    nearestDistance: z.number().nonnegative().nullable(),
    /** The adapter that covers the query best (lowest distance ÷ radius), its radius, and that ratio. */
    adapterId: z.string().nullable(),
    threshold: z.number().nonnegative().nullable(),
    score: z.number().nonnegative().nullable().describe("distance ÷ radius of the best-covering adapter: ≤ 1 in-library, > 1 out-of-library"),
  })
  .describe("Whether the query is one of the library's domains, as its calibration says");
export type Coverage = z.infer<typeof CoverageSchema>;

export interface MeasuredAdapter {
  readonly adapterId: string;
  /** Query to centroid, in the library's metric (its calibration's). */
  readonly distance: number;
  readonly spread: number | null;
}

const ratio = (distance: number, radius: number): number => (radius > 0 ? distance / radius : distance === 0 ? 0 : Number.POSITIVE_INFINITY);

/**
 * Coverage of a query from its nearest adapters (the plan's, nearest first) and the library's
 * calibration: in-library iff some adapter's ball holds it. Only the measured adapters are
 * consulted, so an adapter beyond the k nearest with an unusually wide ball is not.
 */
export function assessCoverage(measured: readonly MeasuredAdapter[], calibration: LibraryCalibration | null): Coverage {
  const nearestDistance = measured.length > 0 ? Math.min(...measured.map((m) => m.distance)) : null;
  let best: { adapterId: string; threshold: number; score: number } | null = null;
  if (calibration !== null) {
    for (const m of measured) {
      const radius = radiusOf(m.spread, calibration);
      if (radius === null) continue;
      const score = ratio(m.distance, radius);
      if (best === null || score < best.score) best = { adapterId: m.adapterId, threshold: radius, score };
    }
  }
  if (best === null) return { status: "uncalibrated", nearestDistance, adapterId: null, threshold: null, score: null };
  // An infinite ratio (a zero radius missed) is still out-of-library; JSON has no Infinity.
  const score = Number.isFinite(best.score) ? best.score : Number.MAX_VALUE;
  return { status: score <= 1 ? "in-library" : "out-of-library", nearestDistance, adapterId: best.adapterId, threshold: best.threshold, score };
}

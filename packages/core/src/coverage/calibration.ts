import { z } from "zod";
import { distance, type Metric } from "../routing/distance.js";

/**
 * Out-of-library detection. SemLA always fuses the k nearest adapters, however far they are; a
 * library can say, from what it already holds (centroids, and the spread of the sample images an
 * adapter's centroid was computed from), how far from its adapters a query may be and still be one
 * of its domains.
 *
 * - Each adapter covers a ball around its centroid: radius = margin × its spread, the 95th
 *   percentile of its sample images' distances to the centroid (recorded when the centroid was
 *   computed from images, or declared with the centroid).
 * - An adapter without a spread gets the library's default radius: margin × the median of the
 *   spreads the library knows; in a library with no spread at all (centroids only, as SemLA's
 *   reference loradb files are), the largest leave-one-out gap between its centroids — how far a
 *   member may sit from the rest and still be served by them. That is conservative for images,
 *   whose own spread is unknown: upload sample images to calibrate properly.
 * - A query is in-library when some planned adapter's ball holds it: score = min over the plan of
 *   distance ÷ radius, in-library iff score ≤ 1.
 */
export const COVERAGE_DEFAULTS = Object.freeze({
  /** Radius = margin × spread: a sample quantile underestimates the domain's reach a little. */
  margin: 1.25,
  /** The spread of an adapter's sample images: this quantile of their distances to its centroid. */
  spreadQuantile: 0.95,
  /**
   * Leave-one-out gaps are measured among at most this many centroids (O(n²·d)): a larger library
   * is calibrated on an evenly spaced subset of its adapters (in id order), deterministic.
   */
  maxCalibrationAdapters: 2000,
});

/** What a library does with a query outside its coverage. */
export const CoveragePolicySchema = z
  .enum(["fuse", "zeroshot", "refuse"])
  .describe("Out-of-library queries: fuse the nearest adapters anyway (SemLA's behaviour), fall back to the base model (zeroshot), or refuse (422)");
export type CoveragePolicy = z.infer<typeof CoveragePolicySchema>;

export const CalibrationBasisSchema = z
  .enum(["samples", "partial-samples", "spacing", "none"])
  .describe(
    "samples: every adapter has its sample images' spread; partial-samples: some do (the others get the median); spacing: centroids only (the largest leave-one-out gap); none: fewer than two adapters and no spread",
  );

export const LibraryCalibrationSchema = z
  .object({
    version: z.literal(1),
    /** Active adapters when it was computed. */
    adapters: z.number().int().nonnegative(),
    /** How many of them have a recorded spread. */
    withSpread: z.number().int().nonnegative(),
    /** Centroids the leave-one-out gaps were measured among (all, or the subset in large libraries). */
    measured: z.number().int().nonnegative(),
    basis: CalibrationBasisSchema,
    margin: z.number().positive(),
    /** Leave-one-out nearest-centroid distances: their median and largest (null below two adapters). */
    spacing: z.object({ median: z.number().nonnegative(), max: z.number().nonnegative() }).nullable(),
    /** Median of the recorded spreads (null when none). */
    spreadMedian: z.number().nonnegative().nullable(),
    /** Radius of an adapter without a spread of its own (null: uncalibrated). */
    defaultRadius: z.number().nonnegative().nullable(),
  })
  .describe("How far from its adapters a library's queries may be and still be one of its domains, computed from what the library holds");
export type LibraryCalibration = z.infer<typeof LibraryCalibrationSchema>;

export interface CalibrationAdapter {
  readonly id: string;
  readonly centroid: ArrayLike<number>;
  /** The adapter's sample spread in the library's metric, or null when its centroid came without samples. */
  readonly spread: number | null;
}

/** numpy.quantile's default ("linear"): interpolates between the two nearest order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("quantile of no values");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return (sorted[lower] as number) + (position - lower) * ((sorted[upper] as number) - (sorted[lower] as number));
}

/** The spread of an adapter's sample embeddings: the quantile of their distances to its centroid. */
export function sampleSpread(samples: readonly ArrayLike<number>[], centroid: ArrayLike<number>, metric: Metric, q: number = COVERAGE_DEFAULTS.spreadQuantile): number {
  return quantile(
    samples.map((s) => distance(metric, s, centroid)),
    q,
  );
}

/** Evenly spaced picks of at most `cap` of `n` items, by index: deterministic for a given n. */
function evenlySpaced(n: number, cap: number): number[] {
  if (n <= cap) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: cap }, (_, i) => Math.floor((i * n) / cap));
}

/** Each centroid's distance to the nearest other one (n ≥ 2), exactly. */
export function leaveOneOutNearest(centroids: readonly ArrayLike<number>[], metric: Metric): number[] {
  const nearest = centroids.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < centroids.length; i++) {
    for (let j = i + 1; j < centroids.length; j++) {
      const d = distance(metric, centroids[i] as ArrayLike<number>, centroids[j] as ArrayLike<number>);
      if (d < (nearest[i] as number)) nearest[i] = d;
      if (d < (nearest[j] as number)) nearest[j] = d;
    }
  }
  return nearest;
}

/** A library's calibration from its active adapters (any order: they are measured in id order). */
export function calibrate(adapters: readonly CalibrationAdapter[], metric: Metric, options: { readonly margin?: number; readonly maxAdapters?: number } = {}): LibraryCalibration {
  const margin = options.margin ?? COVERAGE_DEFAULTS.margin;
  const cap = options.maxAdapters ?? COVERAGE_DEFAULTS.maxCalibrationAdapters;
  const ordered = [...adapters].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const picked = evenlySpaced(ordered.length, cap).map((i) => (ordered[i] as CalibrationAdapter).centroid);
  const gaps = picked.length >= 2 ? leaveOneOutNearest(picked, metric) : [];
  const spacing = gaps.length > 0 ? { median: quantile(gaps, 0.5), max: Math.max(...gaps) } : null;
  const spreads = ordered.flatMap((a) => (a.spread === null ? [] : [a.spread]));
  const spreadMedian = spreads.length > 0 ? quantile(spreads, 0.5) : null;
  const defaultRadius = spreadMedian !== null ? margin * spreadMedian : (spacing?.max ?? null);
  const basis = spreads.length > 0 && spreads.length === ordered.length ? "samples" : spreads.length > 0 ? "partial-samples" : spacing !== null ? "spacing" : "none";
  return { version: 1, adapters: ordered.length, withSpread: spreads.length, measured: picked.length, basis, margin, spacing, spreadMedian, defaultRadius };
}

/** The radius of one adapter's ball: its own spread × margin, or the library's default. */
export function radiusOf(spread: number | null, calibration: LibraryCalibration): number | null {
  return spread !== null ? calibration.margin * spread : calibration.defaultRadius;
}

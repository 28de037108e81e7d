import { describe, expect, it } from "vitest";
import { assessCoverage, calibrate, leaveOneOutNearest, quantile, radiusOf, sampleSpread } from "./index.js";

// Centroids on a 3-4-5 grid: every distance below is exact by hand.
const A = { id: "a", centroid: [0, 0] };
const B = { id: "b", centroid: [3, 4] };
const C = { id: "c", centroid: [6, 8] };
const D = { id: "d", centroid: [0, 1] };

describe("quantile", () => {
  it("interpolates linearly between order statistics, as numpy.quantile does", () => {
    // numpy.quantile([0.3, 0.1, 0.4, 0.2], 0.95) = 0.385; ([1, 2], 0.5) = 1.5; ([5], 0.95) = 5.0
    expect(quantile([0.3, 0.1, 0.4, 0.2], 0.95)).toBeCloseTo(0.385, 15);
    expect(quantile([1, 2], 0.5)).toBe(1.5);
    expect(quantile([5], 0.95)).toBe(5);
  });

  it("refuses no values and a q outside [0, 1]", () => {
    expect(() => quantile([], 0.5)).toThrow(/no values/);
    expect(() => quantile([1], 1.5)).toThrow(/\[0, 1\]/);
  });
});

describe("sampleSpread", () => {
  it("is the 95th percentile of the samples' distances to the centroid", () => {
    // distances 1, 2, 3, 4 → numpy.quantile(…, 0.95) = 3.85
    expect(
      sampleSpread(
        [
          [1, 0],
          [0, 2],
          [-3, 0],
          [0, -4],
        ],
        [0, 0],
        "euclidean",
      ),
    ).toBeCloseTo(3.85, 12);
  });

  it("measures in the library's metric", () => {
    // cosine distances to (1, 0): 0 and 1
    expect(
      sampleSpread(
        [
          [2, 0],
          [0, 5],
        ],
        [1, 0],
        "cosine",
        1,
      ),
    ).toBe(1);
  });
});

describe("leaveOneOutNearest", () => {
  it("is each centroid's distance to the nearest other", () => {
    expect(leaveOneOutNearest([A.centroid, B.centroid, C.centroid, D.centroid], "euclidean")).toEqual([1, Math.sqrt(18), 5, 1]);
  });
});

describe("calibrate", () => {
  it("without spreads, the default radius is the largest leave-one-out gap", () => {
    const calibration = calibrate(
      [A, B, C, D].map((x) => ({ ...x, spread: null })),
      "euclidean",
    );
    // gaps 1, √18, 5, 1: median (1 + √18) / 2, largest 5
    expect(calibration).toEqual({
      version: 1,
      adapters: 4,
      withSpread: 0,
      measured: 4,
      basis: "spacing",
      margin: 1.25,
      spacing: { median: (1 + Math.sqrt(18)) / 2, max: 5 },
      spreadMedian: null,
      defaultRadius: 5,
    });
  });

  it("with spreads, an adapter's radius is margin × its spread, and others get margin × the median spread", () => {
    const calibration = calibrate(
      [
        { ...A, spread: 0.4 },
        { ...B, spread: 0.8 },
        { ...C, spread: null },
      ],
      "euclidean",
    );
    expect(calibration.basis).toBe("partial-samples");
    expect(calibration.withSpread).toBe(2);
    expect(calibration.spreadMedian).toBeCloseTo(0.6, 15);
    expect(calibration.defaultRadius).toBeCloseTo(0.75, 15);
    expect(radiusOf(0.4, calibration)).toBeCloseTo(0.5, 15);
    expect(radiusOf(null, calibration)).toBeCloseTo(0.75, 15);
    expect(
      calibrate(
        [
          { ...A, spread: 0.4 },
          { ...B, spread: 0.8 },
        ],
        "euclidean",
      ).basis,
    ).toBe("samples");
  });

  it("a single adapter without a spread leaves the library uncalibrated", () => {
    const calibration = calibrate([{ ...A, spread: null }], "euclidean");
    expect(calibration).toMatchObject({ basis: "none", spacing: null, defaultRadius: null });
    expect(calibrate([], "euclidean")).toMatchObject({ adapters: 0, basis: "none", defaultRadius: null });
  });

  it("measures large libraries on an evenly spaced subset in id order, whatever order they come in", () => {
    const many = [A, B, C, D].map((x) => ({ ...x, spread: null }));
    const capped = calibrate([...many].reverse(), "euclidean", { maxAdapters: 2 });
    // ids a, b, c, d → picks indices 0 and 2: a (0, 0) and c (6, 8), 10 apart
    expect(capped.measured).toBe(2);
    expect(capped.spacing).toEqual({ median: 10, max: 10 });
    expect(capped.adapters).toBe(4);
  });

  it("a custom margin scales every radius", () => {
    expect(calibrate([{ ...A, spread: 2 }], "euclidean", { margin: 2 }).defaultRadius).toBe(4);
  });
});

describe("assessCoverage", () => {
  const calibration = calibrate(
    [
      { ...A, spread: 0.4 },
      { ...B, spread: 0.8 },
      { ...C, spread: null },
    ],
    "euclidean",
  );

  it("is in-library when some adapter's ball holds the query, naming the best-covering adapter", () => {
    // a: 0.6 / 0.5 = 1.2; b: 0.9 / 1.0 = 0.9 → b covers it
    const coverage = assessCoverage(
      [
        { adapterId: "a", distance: 0.6, spread: 0.4 },
        { adapterId: "b", distance: 0.9, spread: 0.8 },
      ],
      calibration,
    );
    expect(coverage.status).toBe("in-library");
    expect(coverage.adapterId).toBe("b");
    expect(coverage.nearestDistance).toBe(0.6);
    expect(coverage.threshold).toBeCloseTo(1, 15);
    expect(coverage.score).toBeCloseTo(0.9, 15);
  });

  it("is out-of-library when no ball holds it; a score of exactly 1 is in", () => {
    const out = assessCoverage(
      [
        { adapterId: "a", distance: 1, spread: 0.4 },
        { adapterId: "c", distance: 1.8, spread: null },
      ],
      calibration,
    );
    // a: 1 / 0.5 = 2; c: 1.8 / 0.75 = 2.4 → a
    expect(out).toEqual({ status: "out-of-library", nearestDistance: 1, adapterId: "a", threshold: 0.5, score: 2 });
    expect(assessCoverage([{ adapterId: "a", distance: 0.5, spread: 0.4 }], calibration).status).toBe("in-library");
  });

  it("is uncalibrated without a calibration, without radii, or without adapters", () => {
    expect(assessCoverage([{ adapterId: "a", distance: 0.2, spread: 0.4 }], null)).toEqual({
      status: "uncalibrated",
      nearestDistance: 0.2,
      adapterId: null,
      threshold: null,
      score: null,
    });
    expect(assessCoverage([{ adapterId: "a", distance: 0.2, spread: null }], calibrate([{ ...A, spread: null }], "euclidean")).status).toBe("uncalibrated");
    expect(assessCoverage([], calibration)).toMatchObject({ status: "uncalibrated", nearestDistance: null });
  });

  it("a zero radius holds only its centroid", () => {
    const tight = calibrate([{ ...A, spread: 0 }], "euclidean");
    expect(assessCoverage([{ adapterId: "a", distance: 0, spread: 0 }], tight)).toMatchObject({ status: "in-library", score: 0 });
    expect(assessCoverage([{ adapterId: "a", distance: 0.1, spread: 0 }], tight)).toMatchObject({ status: "out-of-library", score: Number.MAX_VALUE });
  });
});

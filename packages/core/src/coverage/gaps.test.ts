import { describe, expect, it } from "vitest";
import { coverageGaps, type OutOfLibraryEvent } from "./index.js";

const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 12, minute));
const event = (embedding: number[], minute: number, nearest: [string, number][]): OutOfLibraryEvent => ({
  embedding,
  at: at(minute),
  nearest: nearest.map(([adapterId, distance]) => ({ adapterId, distance })),
});

describe("coverageGaps", () => {
  // Two regions: around (10, 0) (three queries) and around (0, 10) (one), radius 1.
  const events = [
    event([0, 10], 1, [["snow", 4]]),
    event([10, 0], 0, [
      ["fog", 3],
      ["rain", 5],
    ]),
    event([10.6, 0], 2, [
      ["fog", 3.2],
      ["night", 6],
    ]),
    event([9.7, 0.4], 3, [["rain", 5.4]]),
  ];
  const [large, small] = coverageGaps(events, { radius: 1, metric: "euclidean" });

  it("clusters queries within the radius of a cluster's first query, largest cluster first", () => {
    expect(large?.requests).toBe(3);
    expect(small?.requests).toBe(1);
  });

  it("summarises a gap by its mean embedding, spread and time span", () => {
    // mean of (10, 0), (10.6, 0), (9.7, 0.4) = (10.1, 0.4 / 3)
    expect(large?.centroid[0]).toBeCloseTo(10.1, 12);
    expect(large?.centroid[1]).toBeCloseTo(0.4 / 3, 12);
    const distances = [Math.hypot(10 - 10.1, 0 - 0.4 / 3), Math.hypot(10.6 - 10.1, 0 - 0.4 / 3), Math.hypot(9.7 - 10.1, 0.4 - 0.4 / 3)].sort((a, b) => a - b);
    // numpy.quantile of three values at 0.95: the 2nd plus 0.9 of the way to the 3rd
    expect(large?.spread).toBeCloseTo((distances[1] as number) + 0.9 * ((distances[2] as number) - (distances[1] as number)), 12);
    expect(large?.firstSeen).toEqual(at(0));
    expect(large?.lastSeen).toEqual(at(3));
    expect(small).toMatchObject({ centroid: [0, 10], spread: 0, firstSeen: at(1), lastSeen: at(1) });
  });

  it("names the adapters nearest its queries, most often first, then nearest", () => {
    expect(large?.nearest).toEqual([
      { adapterId: "fog", requests: 2, meanDistance: 3.1 },
      { adapterId: "rain", requests: 2, meanDistance: 5.2 },
      { adapterId: "night", requests: 1, meanDistance: 6 },
    ]);
    expect(coverageGaps(events, { radius: 1, metric: "euclidean", nearestPerGap: 1 })[0]?.nearest).toEqual([{ adapterId: "fog", requests: 2, meanDistance: 3.1 }]);
  });

  it("a radius wide enough makes one gap; none for no events", () => {
    expect(coverageGaps(events, { radius: 100, metric: "euclidean" }).map((g) => g.requests)).toEqual([4]);
    expect(coverageGaps([], { radius: 1, metric: "euclidean" })).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { LIBRARY, ORIGIN, routingErrorFrom } from "../testing/routing.js";
import { type Candidate, nearestAdapters } from "./nearest.js";

const library = LIBRARY;
const origin = ORIGIN;

describe("nearestAdapters", () => {
  it("returns the k nearest, nearest first, with their distances", () => {
    expect(nearestAdapters(origin, library, { k: 3, metric: "euclidean" })).toEqual([
      { id: "c", distance: 1 },
      { id: "b", distance: 2 },
      { id: "a", distance: 5 },
    ]);
  });

  it("returns the whole library, sorted, when k exceeds it", () => {
    expect(nearestAdapters(origin, library, { k: 10, metric: "euclidean" }).map((n) => n.id)).toEqual(["c", "b", "a", "d"]);
  });

  it("removes excluded ids before taking the top k, so the next-nearest enters", () => {
    expect(nearestAdapters(origin, library, { k: 2, metric: "euclidean", exclude: ["c"] })).toEqual([
      { id: "b", distance: 2 },
      { id: "a", distance: 5 },
    ]);
  });

  it("returns [] for an empty library or when everything is excluded", () => {
    expect(nearestAdapters(origin, [], { k: 5, metric: "euclidean" })).toEqual([]);
    expect(nearestAdapters(origin, library, { k: 5, metric: "euclidean", exclude: ["a", "b", "c", "d"] })).toEqual([]);
  });

  it("breaks distance ties by id, whatever the input order; a tie at the boundary keeps the lower id", () => {
    // (3,4), (-4,3) and (0,-5) all lie at distance 5 from the origin.
    const tied: Candidate[] = [
      { id: "y", centroid: [-4, 3] },
      { id: "x", centroid: [3, 4] },
      { id: "z", centroid: [1, 0] },
      { id: "w", centroid: [0, -5] },
    ];
    expect(nearestAdapters(origin, tied, { k: 4, metric: "euclidean" })).toEqual([
      { id: "z", distance: 1 },
      { id: "w", distance: 5 },
      { id: "x", distance: 5 },
      { id: "y", distance: 5 },
    ]);
    expect(nearestAdapters(origin, [...tied].reverse(), { k: 2, metric: "euclidean" }).map((n) => n.id)).toEqual(["z", "w"]);
  });

  it("ranks by cosine similarity, most similar first (not the reverse, as the SemLA reference does)", () => {
    const directions: Candidate[] = [
      { id: "west", centroid: [-1, 0] }, // cos −1, distance 2
      { id: "north", centroid: [0, 3] }, // cos 0, distance 1
      { id: "northeast", centroid: [1, 1] }, // cos 1/√2, distance 1 − 1/√2
      { id: "east", centroid: [2, 0] }, // cos 1, distance 0
    ];
    const found = nearestAdapters([1, 0], directions, { k: 4, metric: "cosine" });
    expect(found.map((n) => n.id)).toEqual(["east", "northeast", "north", "west"]);
    expect(found[0]?.distance).toBe(0);
    expect(found[1]?.distance).toBeCloseTo(1 - 1 / Math.SQRT2, 15);
    expect(found[2]?.distance).toBe(1);
    expect(found[3]?.distance).toBe(2);
    expect(nearestAdapters([1, 0], directions, { k: 2, metric: "cosine" }).map((n) => n.id)).toEqual(["east", "northeast"]);
  });

  it("works in 3-D", () => {
    const found = nearestAdapters(
      [0, 0, 0],
      [
        { id: "seven", centroid: new Float32Array([2, 3, 6]) },
        { id: "three", centroid: new Float32Array([1, 2, 2]) },
      ],
      { k: 5, metric: "euclidean" },
    );
    expect(found).toEqual([
      { id: "three", distance: 3 },
      { id: "seven", distance: 7 },
    ]);
  });
});

describe("nearestAdapters failures", () => {
  it("rejects a centroid of another dimension, naming the candidate and both dimensions", () => {
    const error = routingErrorFrom(() => nearestAdapters(origin, [...library, { id: "alps", centroid: [1, 2, 3] }], { k: 5, metric: "euclidean" }));
    expect(error.code).toBe("routing.dimension-mismatch");
    expect(error.message).toBe('candidate "alps" has dimension 3 but query has dimension 2');
  });

  it("rejects NaN in the query", () => {
    const error = routingErrorFrom(() => nearestAdapters([0, Number.NaN], library, { k: 5, metric: "euclidean" }));
    expect(error.code).toBe("routing.non-finite");
    expect(error.message).toBe("query has a non-finite value NaN at index 1");
  });

  it("rejects a non-finite centroid value, naming the candidate", () => {
    const error = routingErrorFrom(() => nearestAdapters(origin, [{ id: "fog", centroid: [Infinity, 0] }], { k: 5, metric: "euclidean" }));
    expect(error.code).toBe("routing.non-finite");
    expect(error.message).toBe('candidate "fog" has a non-finite value Infinity at index 0');
  });

  it("rejects a zero query or zero centroid under cosine, naming it", () => {
    expect(routingErrorFrom(() => nearestAdapters([0, 0], library, { k: 5, metric: "cosine" })).message).toBe("query is a zero vector, so its cosine distance is undefined");
    const error = routingErrorFrom(() => nearestAdapters([1, 0], [{ id: "void", centroid: [0, 0] }], { k: 5, metric: "cosine" }));
    expect(error.code).toBe("routing.zero-vector");
    expect(error.message).toBe('candidate "void" is a zero vector, so its cosine distance is undefined');
  });

  it("allows a zero centroid under euclidean", () => {
    expect(nearestAdapters([3, 4], [{ id: "o", centroid: [0, 0] }], { k: 1, metric: "euclidean" })).toEqual([{ id: "o", distance: 5 }]);
  });

  it("does not validate excluded candidates, which take no part", () => {
    const withBroken = [...library, { id: "broken", centroid: [1, 2, 3] }];
    expect(nearestAdapters(origin, withBroken, { k: 1, metric: "euclidean", exclude: ["broken"] })).toEqual([{ id: "c", distance: 1 }]);
  });

  it("rejects duplicate candidate ids and k < 1", () => {
    const duplicate = routingErrorFrom(() => nearestAdapters(origin, [...library, { id: "a", centroid: [1, 1] }], { k: 5, metric: "euclidean" }));
    expect(duplicate.code).toBe("routing.duplicate-id");
    expect(duplicate.message).toBe('candidates contain the id "a" more than once');
    expect(routingErrorFrom(() => nearestAdapters(origin, library, { k: 0, metric: "euclidean" })).code).toBe("routing.invalid-options");
  });
});

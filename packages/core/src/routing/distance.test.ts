import { describe, expect, it } from "vitest";
import { routingErrorFrom } from "../testing/routing.js";
import { cosineDistance, distance, euclideanDistance, MetricSchema } from "./distance.js";

describe("euclideanDistance", () => {
  it("is the hypotenuse of a 3-4-5 triangle", () => {
    expect(euclideanDistance([0, 0], [3, 4])).toBe(5);
    expect(euclideanDistance([1, 1], [4, 5])).toBe(5);
  });

  it("works in 3-D: |(1,2,2)| = 3 and |(2,3,6)| = 7", () => {
    expect(euclideanDistance([0, 0, 0], [1, 2, 2])).toBe(3);
    expect(euclideanDistance([1, 1, 1], [3, 4, 7])).toBe(7);
  });

  it("is symmetric and zero for identical vectors", () => {
    expect(euclideanDistance([3, 4], [0, 0])).toBe(5);
    expect(euclideanDistance([0.1, 0.2], [0.1, 0.2])).toBe(0);
  });

  it("accepts typed arrays", () => {
    expect(euclideanDistance(new Float32Array([0, 0]), new Float64Array([3, 4]))).toBe(5);
  });

  it("does not underflow to 0 for tiny differences (which would read as an exact match)", () => {
    // Naively (3e-200)² + (4e-200)² underflows to 0.
    const d = euclideanDistance([0, 0], [3e-200, 4e-200]);
    expect(d / 5e-200).toBeCloseTo(1, 12);
  });

  it("does not overflow for huge components whose distance fits Float64", () => {
    const d = euclideanDistance([0, 0], [3e200, 4e200]);
    expect(d / 5e200).toBeCloseTo(1, 12);
  });

  it("rejects a distance beyond Float64 with routing.non-finite", () => {
    expect(routingErrorFrom(() => euclideanDistance([-1e308], [1e308])).code).toBe("routing.non-finite");
  });
});

describe("cosineDistance", () => {
  it("is 1 − cos: 0 for the same direction, 1 orthogonal, 2 opposite", () => {
    expect(cosineDistance([1, 0], [2, 0])).toBe(0);
    expect(cosineDistance([1, 0], [0, 3])).toBe(1);
    expect(cosineDistance([1, 0], [-1, 0])).toBe(2);
  });

  it("is 0 for a scaled copy of the query", () => {
    expect(cosineDistance([3, 4], [6, 8])).toBe(0);
    expect(cosineDistance([1, 2, 2], [0.5, 1, 1])).toBe(0);
  });

  it("is 1 − 1/√2 at 45 degrees", () => {
    expect(cosineDistance([1, 0], [1, 1])).toBeCloseTo(1 - 1 / Math.SQRT2, 15);
  });

  it("in 3-D: cos((1,2,2), (2,3,6)) = (2+6+12)/(3·7) = 20/21", () => {
    expect(cosineDistance([1, 2, 2], [2, 3, 6])).toBeCloseTo(1 - 20 / 21, 15);
    expect(cosineDistance([1, 2, 2], [2, 1, -2])).toBeCloseTo(1, 15);
  });

  it("does not overflow for huge components", () => {
    expect(cosineDistance([1e300, 0], [1e300, 1e300])).toBeCloseTo(1 - 1 / Math.SQRT2, 15);
  });

  it("rejects a zero vector with routing.zero-vector naming it", () => {
    const error = routingErrorFrom(() => cosineDistance([1, 2], [0, 0]));
    expect(error.code).toBe("routing.zero-vector");
    expect(error.message).toBe("b is a zero vector, so its cosine distance is undefined");
  });
});

describe("shared validation", () => {
  it("rejects vectors of different dimensions with both dimensions in the message", () => {
    const error = routingErrorFrom(() => euclideanDistance([1, 2], [1, 2, 3]));
    expect(error.code).toBe("routing.dimension-mismatch");
    expect(error.message).toBe("b has dimension 3 but a has dimension 2");
  });

  it("rejects NaN and ±Infinity, naming the vector and index", () => {
    const error = routingErrorFrom(() => cosineDistance([1, Number.NaN], [1, 2]));
    expect(error.code).toBe("routing.non-finite");
    expect(error.message).toBe("a has a non-finite value NaN at index 1");
    expect(routingErrorFrom(() => euclideanDistance([1, 2], [Infinity, 2])).code).toBe("routing.non-finite");
  });

  it("rejects empty vectors", () => {
    expect(routingErrorFrom(() => euclideanDistance([], [])).code).toBe("routing.empty-vector");
  });
});

describe("distance", () => {
  it("dispatches on the metric", () => {
    expect(distance("euclidean", [0, 0], [3, 4])).toBe(5);
    expect(distance("cosine", [1, 0], [0, 3])).toBe(1);
  });

  it("MetricSchema accepts exactly 'euclidean' and 'cosine'", () => {
    expect(MetricSchema.options).toEqual(["euclidean", "cosine"]);
    expect(MetricSchema.safeParse("manhattan").success).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { l2NormalizeInPlace, l2NormalizeRowsInPlace } from "./normalize.js";

describe("L2 normalisation", () => {
  it("divides by the Euclidean norm, in place, and leaves a zero vector zero", () => {
    const v = Float32Array.from([3, 4]);
    expect(l2NormalizeInPlace(v)).toBe(v);
    expect(Array.from(v)).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(Array.from(l2NormalizeInPlace(new Float32Array(3)))).toEqual([0, 0, 0]);
  });

  it("normalises each row of a matrix, and refuses a length that is not whole rows", () => {
    expect(Array.from(l2NormalizeRowsInPlace(Float32Array.from([3, 4, 0, 2]), 2))).toEqual([0.6000000238418579, 0.800000011920929, 0, 1]);
    expect(() => l2NormalizeRowsInPlace(new Float32Array(3), 2)).toThrow("3 values are not rows of 2");
  });
});

import { describe, expect, it } from "vitest";
import { fortranToC } from "./fortran.js";

describe("fortranToC", () => {
  it("transposes a 2x3 column-major array into row-major order", () => {
    // [[1, 2, 3], [4, 5, 6]] stored column by column.
    expect(Array.from(fortranToC([2, 3], new Float32Array([1, 4, 2, 5, 3, 6])))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("puts element (i, j, k) of a 2x3x4 array at C offset 12i + 4j + k from F offset i + 2j + 6k", () => {
    const fortran = new Float32Array(24);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) fortran[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
    const c = fortranToC([2, 3, 4], fortran);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expected.push(100 * i + 10 * j + k);
    expect(Array.from(c)).toEqual(expected);
  });

  it("leaves 0-d, 1-d, single-row and empty arrays as they are", () => {
    expect(Array.from(fortranToC([], new Float32Array([7])))).toEqual([7]);
    expect(Array.from(fortranToC([3], new Float32Array([1, 2, 3])))).toEqual([1, 2, 3]);
    expect(Array.from(fortranToC([1, 3], new Float32Array([1, 2, 3])))).toEqual([1, 2, 3]);
    expect(fortranToC([2, 0], new Float32Array()).length).toBe(0);
  });
});

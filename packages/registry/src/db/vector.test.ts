import { describe, expect, it } from "vitest";
import { parseVectorLiteral, toVectorLiteral } from "./vector.js";

describe("pgvector literals", () => {
  it("writes components in brackets, comma-separated", () => {
    expect(toVectorLiteral(Float32Array.from([3, -4, 0.5]))).toBe("[3,-4,0.5]");
    expect(toVectorLiteral([1e-7, 2])).toBe("[1e-7,2]");
  });

  it("reads pgvector's output form, including exponents", () => {
    expect(parseVectorLiteral("[0.1,1e-07,3.4028235e+38]")).toEqual(Float32Array.from([0.1, 1e-7, 3.4028235e38]));
    expect(parseVectorLiteral(" [1, 2] ")).toEqual(Float32Array.from([1, 2]));
  });

  it("round-trips float32 values exactly", () => {
    const v = Float32Array.from([0.1, Math.PI, -1 / 3, 1.17549435e-38]);
    expect(parseVectorLiteral(toVectorLiteral(v))).toEqual(v);
  });

  it("refuses text that is not a vector", () => {
    expect(() => parseVectorLiteral("{1,2}")).toThrow('not a pgvector literal: "{1,2}"');
  });
});

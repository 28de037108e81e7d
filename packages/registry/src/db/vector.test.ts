import { describe, expect, it } from "vitest";
import { parseVectorBinary, parseVectorLiteral, toVectorLiteral } from "./vector.js";

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

describe("pgvector binary form", () => {
  // Python: struct.pack('>HH3f', 3, 0, 1.5, -2.0, 0.1).hex(), which is vector_send's layout.
  const hex = "000300003fc00000c00000003dcccccd";

  it("reads the dimension and big-endian float32 components, from bytes or PostgreSQL's hex text", () => {
    const expected = Float32Array.from([1.5, -2, 0.1]);
    expect(parseVectorBinary(Uint8Array.from(Buffer.from(hex, "hex")))).toEqual(expected);
    expect(parseVectorBinary(Buffer.from(`00ff${hex}`, "hex").subarray(2))).toEqual(expected);
    expect(parseVectorBinary(`\\x${hex}`)).toEqual(expected);
  });

  it("refuses bytes whose length does not match the dimension, and other text", () => {
    expect(() => parseVectorBinary(Buffer.from(hex.slice(0, -2), "hex"))).toThrow("not a pgvector binary value: 15 bytes for dimension 3");
    expect(() => parseVectorBinary(new Uint8Array(2))).toThrow("not a pgvector binary value: 2 bytes for dimension -1");
    expect(() => parseVectorBinary("[1,2]")).toThrow('not a pgvector binary value: "[1,2]"');
  });
});

import { describe, expect, it } from "vitest";
import { bf16BitsToNumber, f16BitsToNumber, float32Bits, float32FromBits, numberToBf16Bits, numberToF16Bits } from "./half.js";

/** Hex strings make a failing bit pattern readable. */
const hex = (bits: number): string => `0x${bits.toString(16).padStart(4, "0")}`;

describe("numberToF16Bits", () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0, 0x0000],
    [-0, 0x8000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ])("encodes %s exactly (bits in the table)", (value, bits) => {
    expect(hex(numberToF16Bits(value))).toBe(hex(bits));
  });

  it("rounds to nearest, ties to even", () => {
    expect(numberToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, 0x3c00 is even
    expect(numberToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, 0x3c02 is even
    expect(numberToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(numberToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal
    expect(numberToF16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(numberToF16Bits(3 * 2 ** -25)).toBe(0x0002); // subnormal tie to even
    expect(numberToF16Bits(1023.5 * 2 ** -24)).toBe(0x0400); // carries into the smallest normal
    expect(numberToF16Bits(2 ** -26)).toBe(0x0000);
    expect(numberToF16Bits(-(2 ** -26))).toBe(0x8000);
  });

  it("overflows to infinity from 65520 up, and keeps 65519 finite", () => {
    expect(numberToF16Bits(65519)).toBe(0x7bff);
    expect(numberToF16Bits(65520)).toBe(0x7c00);
    expect(numberToF16Bits(-65520)).toBe(0xfc00);
    expect(numberToF16Bits(1e10)).toBe(0x7c00);
  });

  it("keeps NaN a NaN, with the quiet bit set and the payload's top bits", () => {
    expect(numberToF16Bits(NaN)).toBe(0x7e00);
    expect(numberToF16Bits(float32FromBits(0x7f802000))).toBe(0x7e01); // signalling payload stays non-zero
    expect(numberToF16Bits(float32FromBits(0xffc00000))).toBe(0xfe00);
  });
});

describe("f16BitsToNumber", () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [2 ** -24, 0x0001],
    [1023 * 2 ** -24, 0x03ff],
    [2 ** -14, 0x0400],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ])("decodes the bit pattern of %s exactly", (value, bits) => {
    expect(f16BitsToNumber(bits)).toBe(value);
  });

  it("decodes 0x8000 as negative zero and 0x7e00 as NaN", () => {
    expect(Object.is(f16BitsToNumber(0x8000), -0)).toBe(true);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
  });

  it("round-trips every non-NaN bit pattern exactly", () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const value = f16BitsToNumber(h);
      if (Number.isNaN(value)) continue;
      if (numberToF16Bits(value) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it("keeps NaN payloads when widening to float32 bits", () => {
    expect(float32Bits(f16BitsToNumber(0x7e01))).toBe(0x7fc02000);
  });
});

describe("numberToBf16Bits", () => {
  it.each([
    [1, 0x3f80],
    [-2, 0xc000],
    [0, 0x0000],
    [-0, 0x8000],
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
  ])("encodes %s exactly (bits in the table)", (value, bits) => {
    expect(hex(numberToBf16Bits(value))).toBe(hex(bits));
  });

  it("rounds to nearest, ties to even", () => {
    expect(numberToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, 0x3f80 is even
    expect(numberToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, 0x3f82 is even
    expect(numberToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // above the tie
  });

  it("overflows the largest float32 to infinity", () => {
    expect(numberToBf16Bits(float32FromBits(0x7f7fffff))).toBe(0x7f80);
    expect(numberToBf16Bits(float32FromBits(0xff7fffff))).toBe(0xff80);
  });

  it("keeps NaN a NaN, with the quiet bit set", () => {
    expect(numberToBf16Bits(NaN)).toBe(0x7fc0);
    expect(numberToBf16Bits(float32FromBits(0x7f800001))).toBe(0x7fc0); // payload below bf16 precision
    expect(numberToBf16Bits(float32FromBits(0xff810000))).toBe(0xffc1);
  });
});

describe("bf16BitsToNumber", () => {
  it("decodes the high half of a float32", () => {
    expect(bf16BitsToNumber(0x3f80)).toBe(1);
    expect(bf16BitsToNumber(0xc000)).toBe(-2);
    expect(bf16BitsToNumber(0x7f80)).toBe(Infinity);
    expect(bf16BitsToNumber(0x7fc0)).toBeNaN();
  });

  it("round-trips every non-NaN bit pattern exactly", () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const value = bf16BitsToNumber(h);
      if (Number.isNaN(value)) continue;
      if (numberToBf16Bits(value) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });
});

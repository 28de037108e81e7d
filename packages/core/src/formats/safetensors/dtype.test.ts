import { describe, expect, it } from "vitest";
import { DTYPE_SIZES, decodeF32Portable, dtypeSize, encodeF32Portable, fromFloat32, isDtype, isFloatDtype, toFloat32 } from "./dtype.js";
import { SafetensorsError } from "./errors.js";

describe("dtype table", () => {
  it("lists every safetensors dtype with its byte size", () => {
    expect(DTYPE_SIZES).toEqual({
      BOOL: 1,
      U8: 1,
      I8: 1,
      F8_E5M2: 1,
      F8_E4M3: 1,
      I16: 2,
      U16: 2,
      F16: 2,
      BF16: 2,
      I32: 4,
      U32: 4,
      F32: 4,
      F64: 8,
      I64: 8,
      U64: 8,
    });
    expect(dtypeSize("BF16")).toBe(2);
  });

  it("recognises dtype names exactly, not inherited properties or other spellings", () => {
    expect(isDtype("F8_E4M3")).toBe(true);
    expect(isDtype("f32")).toBe(false);
    expect(isDtype("toString")).toBe(false);
    expect(isDtype("__proto__")).toBe(false);
  });

  it("marks F32, F16, BF16 and F64 as convertible to Float32", () => {
    expect(Object.keys(DTYPE_SIZES).filter(isFloatDtype)).toEqual(["F16", "BF16", "F32", "F64"]);
  });
});

describe("toFloat32", () => {
  it("returns an aligned F32 region as a view over the same bytes", () => {
    const file = new Uint8Array(16);
    file.set([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], 8); // 1, -2
    const values = toFloat32("F32", file.subarray(8, 16));
    expect(Array.from(values)).toEqual([1, -2]);
    expect(values.buffer).toBe(file.buffer);
    expect(values.byteOffset).toBe(8);
  });

  it("copies an unaligned F32 region", () => {
    const file = new Uint8Array(9);
    file.set([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], 1);
    const values = toFloat32("F32", file.subarray(1));
    expect(Array.from(values)).toEqual([1, -2]);
    expect(values.buffer).not.toBe(file.buffer);
  });

  it("decodes F16 little-endian, including subnormals, infinities and NaN", () => {
    const bytes = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c, 0x00, 0x7e]);
    const values = toFloat32("F16", bytes.subarray(0));
    expect(Array.from(values)).toEqual([1, -2, 65504, 2 ** -24, Infinity, NaN]);
  });

  it("decodes F16 from an odd byte offset", () => {
    const file = new Uint8Array([0xaa, 0x00, 0x3c, 0x00, 0xc0]);
    expect(Array.from(toFloat32("F16", file.subarray(1)))).toEqual([1, -2]);
  });

  it("decodes BF16 as the high half of float32", () => {
    const file = new Uint8Array([0xaa, 0x80, 0x3f, 0x00, 0xc0, 0x80, 0xff]);
    expect(Array.from(toFloat32("BF16", file.subarray(1)))).toEqual([1, -2, -Infinity]);
  });

  it("narrows F64 to the nearest float32, out-of-range values to infinity", () => {
    const bytes = new Uint8Array(24);
    const view = new DataView(bytes.buffer);
    view.setFloat64(0, 0.1, true);
    view.setFloat64(8, -3.5, true);
    view.setFloat64(16, 1e300, true);
    expect(Array.from(toFloat32("F64", bytes))).toEqual([Math.fround(0.1), -3.5, Infinity]);
  });

  it("rejects a byte count that is not a whole number of elements", () => {
    expect(() => toFloat32("F32", new Uint8Array(6))).toThrow(SafetensorsError);
    expect(() => toFloat32("F16", new Uint8Array(3))).toThrow(expect.objectContaining({ rule: "byte-length", tensor: undefined }));
  });
});

describe("fromFloat32", () => {
  it("writes F32 little-endian", () => {
    expect(Array.from(fromFloat32("F32", new Float32Array([1, -2])))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });

  it("writes only the elements of a subarray view", () => {
    const all = new Float32Array([7, 1, 7]);
    expect(Array.from(fromFloat32("F32", all.subarray(1, 2)))).toEqual([0x00, 0x00, 0x80, 0x3f]);
  });

  it("writes F16 and BF16 little-endian with round-to-nearest-even", () => {
    const values = new Float32Array([1, -2, 65520, 1 + 2 ** -11]);
    expect(Array.from(fromFloat32("F16", values))).toEqual([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c, 0x00, 0x3c]);
    expect(Array.from(fromFloat32("BF16", new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8])))).toEqual([0x80, 0x3f, 0x80, 0x3f, 0x82, 0x3f]);
  });
});

describe("portable F32 paths (used on big-endian hosts)", () => {
  it("decode the same values as the fast path, at any alignment", () => {
    const file = new Uint8Array(17);
    file.set(fromFloat32("F32", new Float32Array([1.5, -0, 2 ** -148, -Infinity])), 1);
    const values = decodeF32Portable(file.subarray(1));
    expect(Array.from(values)).toEqual([1.5, -0, 2 ** -148, -Infinity]);
    expect(Object.is(values[1], -0)).toBe(true);
  });

  it("encode the same bytes as the fast path", () => {
    const values = new Float32Array([1, -2, 0.1, NaN]);
    const target = new Uint8Array(18);
    encodeF32Portable(values, target, 2);
    expect(Array.from(target.subarray(2))).toEqual(Array.from(fromFloat32("F32", values)));
    expect(Array.from(target.subarray(0, 2))).toEqual([0, 0]);
  });
});

import { describe, expect, it } from "vitest";
import { NumpyFormatError } from "./errors.js";
import { readNpy, writeNpy } from "./npy.js";
import { parseNpyHeader } from "./npy-header.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * Assembles a .npy byte by byte: magic, version, u16 (v1) or u32 (v2/v3) header length, the header
 * (latin-1 for v1/v2, UTF-8 for v3), padded with spaces + '\n' to 64 bytes unless `raw`, then data.
 */
function npy(options: { version?: [number, number]; header: string; data?: Uint8Array; raw?: boolean; declaredLength?: number }): Uint8Array {
  const [major, minor] = options.version ?? [1, 0];
  const lengthSize = major === 1 ? 2 : 4;
  const encode = (s: string): Uint8Array => (major >= 3 ? new TextEncoder().encode(s) : Uint8Array.from(s, (c) => c.charCodeAt(0)));
  let header = encode(options.header);
  if (options.raw !== true) {
    const total = Math.ceil((8 + lengthSize + header.length + 1) / 64) * 64;
    header = Uint8Array.from([...header, ...new Array<number>(total - 8 - lengthSize - header.length - 1).fill(0x20), 0x0a]);
  }
  const data = options.data ?? new Uint8Array();
  const out = new Uint8Array(8 + lengthSize + header.length + data.length);
  const view = new DataView(out.buffer);
  out.set([...MAGIC, major, minor]);
  const length = options.declaredLength ?? header.length;
  if (lengthSize === 2) view.setUint16(8, length, true);
  else view.setUint32(8, length, true);
  out.set(header, 8 + lengthSize);
  out.set(data, 8 + lengthSize + header.length);
  return out;
}

const dict = (descr: string, shape: string, fortran = "False"): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

function f32le(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((v, i) => {
    new DataView(out.buffer).setFloat32(i * 4, v, true);
  });
  return out;
}

function f64le(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  values.forEach((v, i) => {
    new DataView(out.buffer).setFloat64(i * 8, v, true);
  });
  return out;
}

function u16le(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => {
    new DataView(out.buffer).setUint16(i * 2, v, true);
  });
  return out;
}

function failure(bytes: Uint8Array): NumpyFormatError {
  try {
    readNpy(bytes);
  } catch (error) {
    if (error instanceof NumpyFormatError) return error;
    throw error;
  }
  throw new Error("expected a NumpyFormatError");
}

describe("readNpy: versions", () => {
  it("reads version 1.0 (u16 header length) float32 of shape (1, 3)", () => {
    const array = readNpy(npy({ header: dict("<f4", "(1, 3)"), data: f32le(0.5, -1.25, 3) }));
    expect(array.shape).toEqual([1, 3]);
    expect(Array.from(array.data)).toEqual([0.5, -1.25, 3]);
    expect(array.data).toBeInstanceOf(Float32Array);
  });

  it("reads version 2.0 (u32 header length)", () => {
    const bytes = npy({ version: [2, 0], header: dict("<f4", "(2,)"), data: f32le(1, 2) });
    expect(parseNpyHeader(bytes)).toEqual({ version: "2.0", descr: "<f4", fortranOrder: false, shape: [2], dataOffset: 128 });
    expect(Array.from(readNpy(bytes).data)).toEqual([1, 2]);
  });

  it("reads version 3.0 (u32 length, UTF-8 header)", () => {
    const bytes = npy({ version: [3, 0], header: dict("<f4", "(1,)"), data: f32le(7) });
    expect(parseNpyHeader(bytes).version).toBe("3.0");
    expect(Array.from(readNpy(bytes).data)).toEqual([7]);
  });

  it("decodes version 1.0 headers as latin-1, so byte 0xFF is 'ÿ' (and then an unknown descr)", () => {
    const error = failure(npy({ header: dict("<f\u00ff", "(1,)"), data: f32le(1) }));
    expect(error.code).toBe("numpy.descr");
    expect(error.reason).toBe('descr "<fÿ"');
  });

  it("refuses a version 3.0 header that is not UTF-8", () => {
    const bytes = npy({ version: [3, 0], header: dict("<f4", "(1,)"), data: f32le(1) });
    bytes[13] = 0xff; // inside "descr"
    expect(failure(bytes).code).toBe("numpy.header-encoding");
  });

  it.each([
    [4, 0],
    [1, 1],
    [0, 0],
  ])("refuses version %i.%i", (major, minor) => {
    const error = failure(npy({ version: [major, minor], header: dict("<f4", "(1,)"), data: f32le(1) }));
    expect(error.code).toBe("numpy.version");
    expect(error.reason).toBe(`version ${major}.${minor}`);
  });
});

describe("readNpy: dtypes", () => {
  it("converts float16 exactly: 1, -2, the smallest subnormal 2^-24, the largest 65504, +Infinity", () => {
    const array = readNpy(npy({ header: dict("<f2", "(5,)"), data: u16le(0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00) }));
    expect(Array.from(array.data)).toEqual([1, -2, 2 ** -24, 65504, Infinity]);
  });

  it("rounds float64 to float32, overflowing to Infinity like astype(float32)", () => {
    const array = readNpy(npy({ header: dict("<f8", "(3,)"), data: f64le(0.1, -2.5, 1e300) }));
    expect(Array.from(array.data)).toEqual([Math.fround(0.1), -2.5, Infinity]);
  });

  it("keeps NaN and infinities of float32 data as they are (finiteness is the caller's rule)", () => {
    const array = readNpy(npy({ header: dict("<f4", "(3,)"), data: f32le(NaN, -Infinity, 0) }));
    expect(Array.from(array.data)).toEqual([NaN, -Infinity, 0]);
  });

  it.each(["<f4", "<f8", "<f2"])("reads %s even when the data starts at an odd offset in the buffer", (descr) => {
    const file = npy({ header: dict(descr, "(1,)"), data: descr === "<f4" ? f32le(3) : descr === "<f8" ? f64le(3) : u16le(0x4200) });
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    expect(Array.from(readNpy(shifted.subarray(1)).data)).toEqual([3]);
  });

  it.each([">f2", ">f4", ">f8"])("refuses big-endian %s with advice to re-save", (descr) => {
    const error = failure(npy({ header: dict(descr, "(1,)"), data: new Uint8Array(8) }));
    expect(error.code).toBe("numpy.big-endian");
    expect(error.message).toBe(`numpy: big-endian data is not supported; re-save it little-endian (e.g. arr.astype('<f4')) (descr "${descr}")`);
    expect(error.details).toEqual({ rule: "big-endian", member: undefined, descr });
  });

  it.each(["<i4", "|u1", "=f4", "<c8", "|b1", "f4", "<f16"])("refuses descr %s", (descr) => {
    const error = failure(npy({ header: dict(descr, "(1,)"), data: new Uint8Array(4) }));
    expect(error.code).toBe("numpy.descr");
    expect(error.message).toBe(`numpy: only little-endian float16, float32 and float64 ('<f2', '<f4', '<f8') are supported (descr "${descr}")`);
  });

  it("refuses a structured dtype (a list descr)", () => {
    const error = failure(npy({ header: "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", data: new Uint8Array(4) }));
    expect(error.code).toBe("numpy.descr");
    expect(error.reason).toBe("descr is a list (structured dtype?)");
  });
});

describe("readNpy: shapes and layout", () => {
  it("reads a 0-d scalar, shape ()", () => {
    const array = readNpy(npy({ header: dict("<f4", "()"), data: f32le(42) }));
    expect(array.shape).toEqual([]);
    expect(Array.from(array.data)).toEqual([42]);
  });

  it("reads zero-size arrays (0,) and (2, 0) with no data bytes", () => {
    expect(readNpy(npy({ header: dict("<f4", "(0,)") }))).toEqual({ shape: [0], data: new Float32Array() });
    expect(readNpy(npy({ header: dict("<f4", "(2, 0)") }))).toEqual({ shape: [2, 0], data: new Float32Array() });
  });

  it("transposes fortran_order True data to C order", () => {
    // [[1, 2, 3], [4, 5, 6]] in column-major order.
    const array = readNpy(npy({ header: dict("<f4", "(2, 3)", "True"), data: f32le(1, 4, 2, 5, 3, 6) }));
    expect(array.shape).toEqual([2, 3]);
    expect(Array.from(array.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("accepts fortran_order True for a 1-d array (same layout)", () => {
    expect(Array.from(readNpy(npy({ header: dict("<f4", "(2,)", "True"), data: f32le(1, 2) })).data)).toEqual([1, 2]);
  });

  it("reads headers written by Python 2 numpy, with long suffixes: (1L, 2L)", () => {
    expect(readNpy(npy({ header: dict("<f4", "(1L, 2L)"), data: f32le(1, 2) })).shape).toEqual([1, 2]);
  });

  it("accepts keys in any order and an unpadded header that just ends in a newline", () => {
    const header = "{'shape': (1,), 'descr': '<f4', 'fortran_order': False}\n";
    const bytes = npy({ header, raw: true, data: f32le(5) });
    expect(parseNpyHeader(bytes).dataOffset).toBe(10 + header.length);
    expect(Array.from(readNpy(bytes).data)).toEqual([5]);
  });
});

describe("readNpy: malformed files", () => {
  it("refuses data that does not start with \\x93NUMPY, and empty input", () => {
    const bytes = npy({ header: dict("<f4", "(1,)"), data: f32le(1) });
    bytes[1] = 0x6e; // "n"
    expect(failure(bytes).code).toBe("numpy.magic");
    expect(failure(new Uint8Array()).code).toBe("numpy.magic");
    expect(failure(new TextEncoder().encode("[1, 2, 3]")).message).toBe('numpy: the data does not start with the .npy magic "\\x93NUMPY"');
  });

  it("refuses a file cut inside the preamble", () => {
    const bytes = npy({ header: dict("<f4", "(1,)"), data: f32le(1) });
    expect(failure(bytes.subarray(0, 7)).reason).toBe("no version bytes");
    expect(failure(bytes.subarray(0, 9)).reason).toBe("no header length");
    const v2 = npy({ version: [2, 0], header: dict("<f4", "(1,)"), data: f32le(1) });
    expect(failure(v2.subarray(0, 11)).reason).toBe("no header length");
  });

  it("refuses a header shorter than its declared length", () => {
    const bytes = npy({ header: dict("<f4", "(1,)"), data: f32le(1) });
    const error = failure(bytes.subarray(0, 40));
    expect(error.code).toBe("numpy.truncated");
    expect(error.reason).toBe("the header needs 118 bytes, 30 present");
  });

  it("refuses data shorter than ∏shape × itemsize", () => {
    const error = failure(npy({ header: dict("<f4", "(1, 3)"), data: f32le(1, 2) }));
    expect(error.code).toBe("numpy.truncated");
    expect(error.reason).toBe("shape (1, 3) of <f4 needs 12 data bytes, 8 present");
    expect(error.details).toEqual({ rule: "truncated", member: undefined, expected: 12, actual: 8 });
  });

  it("refuses bytes after the data", () => {
    const error = failure(npy({ header: dict("<f8", "(1,)"), data: new Uint8Array(9) }));
    expect(error.code).toBe("numpy.trailing-data");
    expect(error.reason).toBe("1 bytes after the 8 data bytes");
  });

  it("refuses a declared header length over numpy's 10000-byte limit before reading it", () => {
    const error = failure(npy({ version: [2, 0], header: dict("<f4", "(1,)"), declaredLength: 10_001 }));
    expect(error.code).toBe("numpy.header-too-large");
    expect(error.reason).toBe("10001 bytes");
  });

  it("refuses a header that does not end with a newline", () => {
    const error = failure(npy({ header: `${dict("<f4", "(1,)")}      `, raw: true, data: f32le(1) }));
    expect(error.code).toBe("numpy.header-syntax");
    expect(error.reason).toBe("the header does not end with a newline");
  });

  it("refuses a header that is not a Python literal (no eval: a call is a syntax error)", () => {
    const error = failure(npy({ header: "{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,), }", data: f32le(1) }));
    expect(error.code).toBe("numpy.header-syntax");
    expect(error.reason).toBe('unexpected character "_" at offset 10');
  });

  it("refuses a header literal that is not a dict", () => {
    const error = failure(npy({ header: "['<f4', False, (1,)]", data: f32le(1) }));
    expect(error.code).toBe("numpy.header-syntax");
    expect(error.reason).toBe("the header is a list, not a dict");
  });

  it("refuses missing and unexpected keys, naming them", () => {
    const error = failure(npy({ header: "{'descr': '<f4', 'shape': (1,), 'order': 'C', }", data: f32le(1) }));
    expect(error.code).toBe("numpy.header-keys");
    expect(error.reason).toBe("missing fortran_order; unexpected order");
    expect(error.details).toEqual({ rule: "header-keys", member: undefined, missing: ["fortran_order"], unexpected: ["order"] });
  });

  it("refuses a duplicated key", () => {
    const error = failure(npy({ header: "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: f32le(1) }));
    expect(error.code).toBe("numpy.header-keys");
    expect(error.reason).toBe('duplicate key "descr" at offset 17');
  });

  it("refuses a fortran_order that is not a bool", () => {
    const error = failure(npy({ header: dict("<f4", "(1,)", "1"), data: f32le(1) }));
    expect(error.code).toBe("numpy.fortran-order");
    expect(error.reason).toBe("got an int");
  });

  it.each([
    ["[1]", "got a list"],
    ["(1)", "got an int"],
    ["(2, -1)", "axis 1 is -1"],
    ["('1',)", "axis 0 is a str"],
    ["(True,)", "axis 0 is a bool"],
  ])("refuses shape %s: %s", (shape, reason) => {
    const error = failure(npy({ header: dict("<f4", shape), data: f32le(1) }));
    expect(error.code).toBe("numpy.shape");
    expect(error.reason).toBe(reason);
  });

  it("refuses an absurd shape by its byte count instead of allocating it", () => {
    const error = failure(npy({ header: dict("<f4", "(4294967296, 4294967296)"), data: f32le(1) }));
    expect(error.code).toBe("numpy.truncated");
  });
});

describe("writeNpy", () => {
  it("writes version 1.0 '<f4' with numpy's header text, padded so the data starts at a multiple of 64", () => {
    const bytes = writeNpy([1, 3], new Float32Array([0.5, -1.25, 3]));
    expect(Array.from(bytes.subarray(0, 10))).toEqual([...MAGIC, 1, 0, 118, 0]);
    const header = new TextDecoder().decode(bytes.subarray(10, 128));
    expect(header).toBe(`${"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }".padEnd(117, " ")}\n`);
    expect(bytes.subarray(128)).toEqual(f32le(0.5, -1.25, 3));
    expect(bytes.length).toBe(140);
  });

  it("writes Python's tuple reprs: () for a scalar, (n,) for one axis", () => {
    const text = (shape: number[], n: number): string => new TextDecoder().decode(writeNpy(shape, new Float32Array(n)).subarray(10, 128)).trimEnd();
    expect(text([], 1)).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
    expect(text([768], 768)).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (768,), }");
  });

  it("grows the header to the next multiple of 64 when the dict needs it", () => {
    const shape = new Array<number>(22).fill(1);
    const bytes = writeNpy(shape, new Float32Array([9]));
    expect(parseNpyHeader(bytes).dataOffset).toBe(192);
    expect(readNpy(bytes)).toEqual({ shape, data: new Float32Array([9]) });
  });

  it("round-trips a (1, 768) array and a scalar through readNpy, bit for bit", () => {
    const data = Float32Array.from({ length: 768 }, (_, i) => Math.fround(Math.sin(i) / (i + 1)));
    expect(readNpy(writeNpy([1, 768], data))).toEqual({ shape: [1, 768], data });
    expect(readNpy(writeNpy([], new Float32Array([NaN])))).toEqual({ shape: [], data: new Float32Array([NaN]) });
  });

  it("refuses data whose length differs from the shape's element count", () => {
    try {
      writeNpy([2, 3], new Float32Array(5));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NumpyFormatError);
      expect((error as NumpyFormatError).code).toBe("numpy.data-length");
      expect((error as NumpyFormatError).reason).toBe("shape (2, 3) holds 6 values, data has 5");
    }
  });

  it.each([[[-1]], [[1.5]], [[NaN]]])("refuses the shape %j", (shape) => {
    expect(() => writeNpy(shape, new Float32Array(1))).toThrow(expect.objectContaining({ code: "numpy.shape" }));
  });

  it("refuses a shape whose header would pass numpy's 10000-byte limit", () => {
    const shape = new Array<number>(5000).fill(1);
    expect(() => writeNpy(shape, new Float32Array(1))).toThrow(expect.objectContaining({ code: "numpy.header-too-large", reason: "5000 axes" }));
  });
});

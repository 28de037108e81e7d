import { describe, expect, it } from "vitest";
import { SafetensorsError, type SafetensorsRule } from "./errors.js";
import { MAX_HEADER_LENGTH, parseHeaderLength, parseSafetensorsHeader, type SafetensorsHeader } from "./header.js";

/** Assembles a file by hand: u64 little-endian length (declared, or the real one) + header + data. */
function file(header: string | Uint8Array, data: number | Uint8Array = 0, declared?: number | bigint): Uint8Array {
  const headerBytes = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const dataBytes = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + headerBytes.byteLength + dataBytes.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(declared ?? headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  out.set(dataBytes, 8 + headerBytes.byteLength);
  return out;
}

/** Parses a whole in-memory file the way the async reader does: prefix, then N header bytes. */
function parse(bytes: Uint8Array): SafetensorsHeader {
  const prefix = bytes.subarray(0, 8);
  const n = parseHeaderLength(prefix, bytes.byteLength);
  return parseSafetensorsHeader(prefix, bytes.subarray(8, 8 + n), bytes.byteLength);
}

function violation(bytes: Uint8Array): { rule: SafetensorsRule; tensor: string | undefined } {
  try {
    parse(bytes);
  } catch (error) {
    if (error instanceof SafetensorsError) return { rule: error.rule, tensor: error.tensor };
    throw error;
  }
  throw new Error("expected a SafetensorsError");
}

const entry = (dtype: string, shape: number[], begin: number, end: number): string => JSON.stringify({ dtype, shape, data_offsets: [begin, end] });

describe("parseSafetensorsHeader: valid files", () => {
  it("lists tensors sorted by begin offset, with byte lengths and a by-name index", () => {
    const json = `{"b":${entry("F32", [2], 8, 16)},"a":${entry("F16", [2, 2], 0, 8)}}`;
    const header = parse(file(json, 16));
    expect(header.headerLength).toBe(json.length);
    expect(header.dataOffset).toBe(8 + json.length);
    expect(header.metadata).toBeUndefined();
    expect(header.tensors).toEqual([
      { name: "a", dtype: "F16", shape: [2, 2], begin: 0, end: 8, byteLength: 8 },
      { name: "b", dtype: "F32", shape: [2], begin: 8, end: 16, byteLength: 8 },
    ]);
    expect(header.byName.get("b")).toBe(header.tensors[1]);
    expect([...header.byName.keys()]).toEqual(["a", "b"]);
  });

  it("returns __metadata__ as a string map, not as a tensor", () => {
    const header = parse(file(`{"__metadata__":{"format":"pt","__proto__":"x"},"w":${entry("U8", [1], 0, 1)}}`, 1));
    expect(header.metadata).toEqual({ format: "pt", ["__proto__"]: "x" });
    expect(Object.getPrototypeOf(header.metadata)).toBe(Object.prototype);
    expect(header.tensors.map((t) => t.name)).toEqual(["w"]);
  });

  it("accepts an empty header with no data", () => {
    const header = parse(file("{}"));
    expect(header.tensors).toEqual([]);
    expect(header.byName.size).toBe(0);
  });

  it("accepts a header padded with trailing spaces", () => {
    const json = `{"w":${entry("I32", [1], 0, 4)}}`;
    const header = parse(file(`${json}      `, 4));
    expect(header.headerLength).toBe(json.length + 6);
    expect(header.dataOffset).toBe(8 + json.length + 6);
    expect(header.tensors[0]?.name).toBe("w");
  });

  it("accepts zero-size tensors, ordered before a tensor that starts at the same offset", () => {
    const header = parse(file(`{"w":${entry("F32", [1], 0, 4)},"e":${entry("F32", [0], 0, 0)},"z":${entry("F64", [3, 0], 4, 4)}}`, 4));
    expect(header.tensors.map((t) => [t.name, t.begin, t.end, t.byteLength])).toEqual([
      ["e", 0, 0, 0],
      ["w", 0, 4, 4],
      ["z", 4, 4, 0],
    ]);
  });

  it("accepts a scalar (shape [])", () => {
    const header = parse(file(`{"s":${entry("F64", [], 0, 8)}}`, 8));
    expect(header.tensors[0]).toEqual({ name: "s", dtype: "F64", shape: [], begin: 0, end: 8, byteLength: 8 });
  });
});

describe("parseSafetensorsHeader: one rule per malformed file", () => {
  it("truncated: a file shorter than the 8-byte length prefix", () => {
    expect(() => parseHeaderLength(new Uint8Array(5), 5)).toThrow(expect.objectContaining({ rule: "truncated", tensor: undefined }));
    expect(() => parseHeaderLength(new Uint8Array(5), 100)).toThrow(expect.objectContaining({ rule: "truncated" }));
  });

  it("truncated: a header that runs past the end of the file", () => {
    expect(violation(file("{}", 0, 3))).toEqual({ rule: "truncated", tensor: undefined });
  });

  it("truncated: header bytes of the wrong length handed to the parser", () => {
    const bytes = file("{}");
    expect(() => parseSafetensorsHeader(bytes.subarray(0, 8), bytes.subarray(8, 9), bytes.byteLength)).toThrow(expect.objectContaining({ rule: "truncated" }));
  });

  it("truncated: a data buffer shorter than the offsets say, naming the first tensor cut short", () => {
    expect(violation(file(`{"a":${entry("F32", [1], 0, 4)},"b":${entry("F32", [2], 4, 12)}}`, 6))).toEqual({ rule: "truncated", tensor: "b" });
  });

  it("truncated at exactly the cap: a declared 100,000,000-byte header on a short file", () => {
    expect(MAX_HEADER_LENGTH).toBe(100_000_000);
    expect(violation(file("{}", 0, 100_000_000))).toEqual({ rule: "truncated", tensor: undefined });
  });

  it("header-too-large: one byte over the cap", () => {
    expect(violation(file("{}", 0, 100_000_001))).toEqual({ rule: "header-too-large", tensor: undefined });
  });

  it("header-too-large: a length with the high 32 bits set", () => {
    expect(violation(file("{}", 0, 2n ** 32n + 2n))).toEqual({ rule: "header-too-large", tensor: undefined });
    expect(() => parse(file("{}", 0, 2n ** 64n - 1n))).toThrow(expect.objectContaining({ details: { rule: "header-too-large", tensor: undefined, headerLength: "18446744073709551615" } }));
  });

  it("header-utf8: bytes that are not UTF-8", () => {
    expect(violation(file(new Uint8Array([0x7b, 0xff, 0x7d])))).toEqual({ rule: "header-utf8", tensor: undefined });
    expect(violation(file(new Uint8Array([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d])))).toEqual({ rule: "header-utf8", tensor: undefined });
  });

  it("header-start: a header that does not begin with '{'", () => {
    expect(violation(file(" {}"))).toEqual({ rule: "header-start", tensor: undefined });
    expect(violation(file("[]"))).toEqual({ rule: "header-start", tensor: undefined });
    expect(violation(file("\uFEFF{}"))).toEqual({ rule: "header-start", tensor: undefined });
  });

  it("header-start: an empty header", () => {
    expect(violation(file(""))).toEqual({ rule: "header-start", tensor: undefined });
  });

  it("header-json: text that is not JSON", () => {
    expect(violation(file("{"))).toEqual({ rule: "header-json", tensor: undefined });
    expect(violation(file(`{"a":}`))).toEqual({ rule: "header-json", tensor: undefined });
    expect(violation(file(`{} {}`))).toEqual({ rule: "header-json", tensor: undefined });
    expect(violation(file("{}\0\0"))).toEqual({ rule: "header-json", tensor: undefined });
  });

  it.each([`[]`, `null`, `"pt"`, `{"format":1}`, `{"a":null}`, `{"a":["b"]}`])("metadata: __metadata__ = %s", (value) => {
    expect(violation(file(`{"__metadata__":${value}}`))).toEqual({ rule: "metadata", tensor: undefined });
  });

  it("duplicate-name: a tensor named twice", () => {
    expect(violation(file(`{"a":${entry("U8", [1], 0, 1)},"a":${entry("U8", [1], 1, 2)}}`, 2))).toEqual({ rule: "duplicate-name", tensor: "a" });
  });

  it("duplicate-name: the same name spelled with an escape", () => {
    expect(violation(file(`{"a":${entry("U8", [1], 0, 1)},"\\u0061":${entry("U8", [1], 1, 2)}}`, 2))).toEqual({ rule: "duplicate-name", tensor: "a" });
  });

  it("duplicate-name: __metadata__ given twice", () => {
    expect(violation(file(`{"__metadata__":{},"__metadata__":{}}`))).toEqual({ rule: "duplicate-name", tensor: "__metadata__" });
  });

  it.each([
    ["not an object", `[]`],
    ["null", `null`],
    ["a missing field", `{"dtype":"U8","shape":[1]}`],
    ["an extra field", `{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":0}`],
    ["a non-string dtype", `{"dtype":1,"shape":[1],"data_offsets":[0,1]}`],
    ["a non-array shape", `{"dtype":"U8","shape":1,"data_offsets":[0,1]}`],
    ["a negative dimension", `{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}`],
    ["a fractional dimension", `{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}`],
    ["a string dimension", `{"dtype":"U8","shape":["1"],"data_offsets":[0,1]}`],
    ["an unsafe dimension", `{"dtype":"U8","shape":[9007199254740992],"data_offsets":[0,1]}`],
    ["three offsets", `{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}`],
    ["one offset", `{"dtype":"U8","shape":[1],"data_offsets":[1]}`],
    ["a negative offset", `{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}`],
    ["non-array offsets", `{"dtype":"U8","shape":[1],"data_offsets":{"0":0,"1":1}}`],
    ["begin after end", `{"dtype":"U8","shape":[1],"data_offsets":[1,0]}`],
  ])("tensor-entry: %s", (_, value) => {
    expect(violation(file(`{"t":${value}}`, 1))).toEqual({ rule: "tensor-entry", tensor: "t" });
  });

  it.each(["F31", "f32", "toString", "__proto__", ""])("dtype: unknown dtype %j", (dtype) => {
    expect(violation(file(`{"t":${entry(dtype, [1], 0, 1)}}`, 1))).toEqual({ rule: "dtype", tensor: "t" });
  });

  it("overflow: a byte size beyond the largest safe integer", () => {
    expect(violation(file(`{"t":${entry("F32", [2 ** 26, 2 ** 26, 2 ** 26], 0, 0)}}`))).toEqual({ rule: "overflow", tensor: "t" });
  });

  it("overflow: checked at each multiplication, even when a later dimension is zero", () => {
    expect(violation(file(`{"t":${entry("F64", [2 ** 51, 0], 0, 0)}}`))).toEqual({ rule: "overflow", tensor: "t" });
  });

  it("byte-length: offsets spanning the wrong number of bytes", () => {
    expect(violation(file(`{"t":${entry("F32", [2], 0, 4)}}`, 4))).toEqual({ rule: "byte-length", tensor: "t" });
    expect(violation(file(`{"t":${entry("BF16", [3], 0, 8)}}`, 8))).toEqual({ rule: "byte-length", tensor: "t" });
  });

  it("offsets-gap: a first tensor that does not start at 0", () => {
    expect(violation(file(`{"t":${entry("U8", [1], 1, 2)}}`, 2))).toEqual({ rule: "offsets-gap", tensor: "t" });
  });

  it("offsets-gap: bytes between two tensors, naming the later one", () => {
    expect(violation(file(`{"a":${entry("U8", [1], 0, 1)},"b":${entry("U8", [1], 2, 3)}}`, 3))).toEqual({ rule: "offsets-gap", tensor: "b" });
  });

  it("offsets-overlap: two tensors sharing bytes, naming the later one", () => {
    expect(violation(file(`{"a":${entry("U16", [2], 0, 4)},"b":${entry("U16", [2], 2, 6)}}`, 6))).toEqual({ rule: "offsets-overlap", tensor: "b" });
  });

  it("offsets-overlap: two tensors at the same range", () => {
    expect(violation(file(`{"a":${entry("U8", [2], 0, 2)},"b":${entry("I8", [2], 0, 2)}}`, 2))).toEqual({ rule: "offsets-overlap", tensor: "b" });
  });

  it("trailing-data: bytes after the last tensor", () => {
    expect(violation(file(`{"a":${entry("U8", [1], 0, 1)}}`, 2))).toEqual({ rule: "trailing-data", tensor: undefined });
    expect(violation(file("{}", 1))).toEqual({ rule: "trailing-data", tensor: undefined });
  });
});

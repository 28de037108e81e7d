import { describe, expect, it } from "vitest";
import { bytesSource } from "../../bytes/byte-source.js";
import { SafetensorsError, type SafetensorsRule } from "./errors.js";
import { float32Bits } from "./half.js";
import { readSafetensors } from "./read.js";
import { type TensorToWrite, writeSafetensors } from "./write.js";

function violation(tensors: TensorToWrite[], metadata?: Record<string, string>): { rule: SafetensorsRule; tensor: string | undefined } {
  try {
    writeSafetensors(tensors, metadata);
  } catch (error) {
    if (error instanceof SafetensorsError) return { rule: error.rule, tensor: error.tensor };
    throw error;
  }
  throw new Error("expected a SafetensorsError");
}

const bits = (values: Float32Array): number[] => Array.from(values, float32Bits);

describe("writeSafetensors: layout", () => {
  it("writes the u64 length, a space-padded JSON header and the little-endian data", () => {
    const out = writeSafetensors([{ name: "w", shape: [1], data: new Float32Array([1]) }]);
    const json = `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`; // 54 bytes, padded to 56
    expect(out.byteLength).toBe(8 + 56 + 4);
    expect(Array.from(out.subarray(0, 8))).toEqual([56, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(out.subarray(8, 64))).toBe(`${json}  `);
    expect(Array.from(out.subarray(64))).toEqual([0x00, 0x00, 0x80, 0x3f]);
  });

  it("starts the data buffer at a multiple of 8 for any header length", () => {
    for (let length = 0; length < 16; length++) {
      const out = writeSafetensors([{ name: "x".repeat(length + 1), shape: [1], data: new Float32Array([1]) }]);
      const n = new DataView(out.buffer).getUint32(0, true);
      expect((8 + n) % 8).toBe(0);
    }
  });

  it("writes an empty file as the header {} padded to 8 bytes", () => {
    const out = writeSafetensors([]);
    expect(new TextDecoder().decode(out)).toBe("\x08\0\0\0\0\0\0\0{}      ");
  });

  it("lays tensors out in the order given, integer-like names included", async () => {
    const names = ["b", "10", "a", "2"];
    const out = writeSafetensors(names.map((name, i) => ({ name, shape: [1], data: new Float32Array([i]) })));
    const { header, tensors } = await readSafetensors(bytesSource(out));
    expect(header.tensors.map((t) => t.name)).toEqual(names);
    expect(new TextDecoder().decode(out.subarray(8, 8 + header.headerLength)).indexOf(`"b"`)).toBe(1);
    expect([...tensors].map(([name, v]) => [name, v[0]])).toEqual([
      ["b", 0],
      ["10", 1],
      ["a", 2],
      ["2", 3],
    ]);
  });

  it("writes only the elements of a subarray view", async () => {
    const all = new Float32Array([9, 1, 2, 9]);
    const { tensors } = await readSafetensors(bytesSource(writeSafetensors([{ name: "v", shape: [2], data: all.subarray(1, 3) }])));
    expect(Array.from(tensors.get("v") ?? [])).toEqual([1, 2]);
  });
});

describe("writeSafetensors: round trips through the reader", () => {
  it("F32 is bit-exact, including -0, subnormals and extremes", async () => {
    const data = new Float32Array([0, -0, 1, -1.5, 0.1, 2 ** -149, 3.4028234663852886e38, -1e-40]);
    const { header, tensors } = await readSafetensors(bytesSource(writeSafetensors([{ name: "w", shape: [2, 4], data }])));
    expect(header.tensors[0]).toEqual({ name: "w", dtype: "F32", shape: [2, 4], begin: 0, end: 32, byteLength: 32 });
    expect(bits(tensors.get("w") ?? new Float32Array())).toEqual(bits(data));
  });

  it("F16 is bit-exact for representable values", async () => {
    const data = new Float32Array([0, -0, 1, -2, 65504, 2 ** -24, 2 ** -14, 0.333251953125]);
    const { header, tensors } = await readSafetensors(bytesSource(writeSafetensors([{ name: "h", shape: [8], data, dtype: "F16" }])));
    expect(header.tensors[0]).toEqual({ name: "h", dtype: "F16", shape: [8], begin: 0, end: 16, byteLength: 16 });
    expect(bits(tensors.get("h") ?? new Float32Array())).toEqual(bits(data));
  });

  it("BF16 is bit-exact for representable values", async () => {
    const data = new Float32Array([0, -0, 1, -2, 1.0078125, 3.3895313892515355e38, 2 ** -133]);
    const { header, tensors } = await readSafetensors(bytesSource(writeSafetensors([{ name: "b", shape: [7], data, dtype: "BF16" }])));
    expect(header.tensors[0]?.dtype).toBe("BF16");
    expect(bits(tensors.get("b") ?? new Float32Array())).toEqual(bits(data));
  });

  it("F16 and BF16 round to nearest, ties to even", async () => {
    const out = writeSafetensors([
      { name: "h", shape: [3], data: new Float32Array([1 + 2 ** -11, 65520, 1 + 3 * 2 ** -11]), dtype: "F16" },
      { name: "b", shape: [2], data: new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8]), dtype: "BF16" },
    ]);
    const { tensors } = await readSafetensors(bytesSource(out), { finite: false });
    expect(Array.from(tensors.get("h") ?? [])).toEqual([1, Infinity, 1 + 2 * 2 ** -10]);
    expect(Array.from(tensors.get("b") ?? [])).toEqual([1, 1 + 2 ** -6]);
  });

  it("mixes dtypes in one file", async () => {
    const out = writeSafetensors([
      { name: "h", shape: [1], data: new Float32Array([0.5]), dtype: "F16" },
      { name: "f", shape: [1], data: new Float32Array([0.25]) },
      { name: "b", shape: [1], data: new Float32Array([4]), dtype: "BF16" },
    ]);
    const { header, tensors } = await readSafetensors(bytesSource(out));
    expect(header.tensors.map((t) => [t.name, t.dtype, t.begin, t.end])).toEqual([
      ["h", "F16", 0, 2],
      ["f", "F32", 2, 6],
      ["b", "BF16", 6, 8],
    ]);
    expect([...tensors.values()].map((v) => v[0])).toEqual([0.5, 0.25, 4]);
  });

  it("metadata, including escapes, unicode and __proto__, comes back unchanged", async () => {
    const metadata = { format: "pt", 'quo"te': "back\\slash\n", ["__proto__"]: "plain key", π: "日本" };
    const { header } = await readSafetensors(bytesSource(writeSafetensors([], metadata)));
    expect(header.metadata).toEqual(metadata);
    expect(Object.keys(header.metadata ?? {})).toEqual(["format", 'quo"te', "__proto__", "π"]);
  });

  it("zero-size tensors are written and read back", async () => {
    const out = writeSafetensors([
      { name: "e", shape: [0], data: new Float32Array(0) },
      { name: "w", shape: [1], data: new Float32Array([3]) },
      { name: "z", shape: [4, 0], data: new Float32Array(0), dtype: "F16" },
    ]);
    const { header, tensors } = await readSafetensors(bytesSource(out));
    expect(header.tensors.map((t) => [t.name, t.begin, t.end])).toEqual([
      ["e", 0, 0],
      ["w", 0, 4],
      ["z", 4, 4],
    ]);
    expect([...tensors].map(([name, v]) => [name, v.length])).toEqual([
      ["e", 0],
      ["w", 1],
      ["z", 0],
    ]);
  });

  it("tensor names with escapes and lone surrogates come back unchanged", async () => {
    const names = ['a"b', "c\\d", "\ud800", "model.layers.0.q_proj.lora_A.weight"];
    const out = writeSafetensors(names.map((name) => ({ name, shape: [0], data: new Float32Array(0) })));
    const { header } = await readSafetensors(bytesSource(out));
    expect(header.tensors.map((t) => t.name)).toEqual(names);
  });
});

describe("writeSafetensors: invalid input", () => {
  const one = new Float32Array([1]);

  it("duplicate-name: two tensors with one name", () => {
    expect(
      violation([
        { name: "a", shape: [1], data: one },
        { name: "a", shape: [1], data: one },
      ]),
    ).toEqual({ rule: "duplicate-name", tensor: "a" });
  });

  it("reserved-name: a tensor named __metadata__", () => {
    expect(violation([{ name: "__metadata__", shape: [1], data: one }])).toEqual({ rule: "reserved-name", tensor: "__metadata__" });
  });

  it("shape-mismatch: shape and data length disagree", () => {
    expect(violation([{ name: "a", shape: [2, 2], data: new Float32Array(3) }])).toEqual({ rule: "shape-mismatch", tensor: "a" });
    expect(violation([{ name: "s", shape: [], data: new Float32Array(0) }])).toEqual({ rule: "shape-mismatch", tensor: "s" });
  });

  it.each([[-1], [1.5], [NaN], [2 ** 53]])("tensor-entry: dimension %s", (dim) => {
    expect(violation([{ name: "a", shape: [dim], data: one }])).toEqual({ rule: "tensor-entry", tensor: "a" });
  });

  it("overflow: a shape whose element count passes the largest safe integer", () => {
    expect(violation([{ name: "a", shape: [2 ** 27, 2 ** 27], data: one }])).toEqual({ rule: "overflow", tensor: "a" });
  });

  it("dtype-unsupported: a dtype other than F32, F16, BF16", () => {
    const tensor = { name: "a", shape: [1], data: one, dtype: "F64" } as unknown as TensorToWrite;
    expect(violation([tensor])).toEqual({ rule: "dtype-unsupported", tensor: "a" });
  });

  it("metadata: a non-string value", () => {
    const metadata = { step: 3 } as unknown as Record<string, string>;
    expect(violation([], metadata)).toEqual({ rule: "metadata", tensor: undefined });
  });
});

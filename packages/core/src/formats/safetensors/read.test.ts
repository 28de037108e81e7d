import { describe, expect, it } from "vitest";
import { type ByteSource, bytesSource } from "../../bytes/byte-source.js";
import { SafetensorsError } from "./errors.js";
import { readSafetensors, readSafetensorsHeader, readTensor } from "./read.js";
import { writeSafetensors } from "./write.js";

/** A ByteSource that records every [offset, length] it is asked for. */
function recording(bytes: Uint8Array): { source: ByteSource; reads: Array<[number, number]> } {
  const inner = bytesSource(bytes);
  const reads: Array<[number, number]> = [];
  return {
    reads,
    source: {
      size: inner.size,
      read(offset, length) {
        reads.push([offset, length]);
        return inner.read(offset, length);
      },
    },
  };
}

/** Assembles a file by hand: u64 little-endian header length + header + data. */
function file(header: string, data: Uint8Array): Uint8Array {
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + headerBytes.byteLength + data.byteLength);
  new DataView(out.buffer).setUint32(0, headerBytes.byteLength, true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.byteLength);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<SafetensorsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SafetensorsError) return error;
    throw error;
  }
  throw new Error("expected a SafetensorsError");
}

const threeTensors = writeSafetensors([
  { name: "first", shape: [2], data: new Float32Array([1, 2]) },
  { name: "middle", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: "last", shape: [1], data: new Float32Array([7]) },
]);

describe("readSafetensorsHeader", () => {
  it("reads the 8-byte length, then exactly the N header bytes, and nothing of the data", async () => {
    const { source, reads } = recording(threeTensors);
    const header = await readSafetensorsHeader(source);
    expect(reads).toEqual([
      [0, 8],
      [8, header.headerLength],
    ]);
    expect(header.tensors.map((t) => t.name)).toEqual(["first", "middle", "last"]);
  });

  it("rejects a source shorter than 8 bytes without reading it", async () => {
    const { source, reads } = recording(new Uint8Array(7));
    const error = await rejection(readSafetensorsHeader(source));
    expect(error.rule).toBe("truncated");
    expect(reads).toEqual([]);
  });

  it("rejects an oversized declared header after reading only the 8-byte length", async () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setUint32(0, 100_000_001, true);
    const { source, reads } = recording(bytes);
    expect((await rejection(readSafetensorsHeader(source))).rule).toBe("header-too-large");
    expect(reads).toEqual([[0, 8]]);
  });
});

describe("readTensor", () => {
  it("reads exactly the tensor's byte range", async () => {
    const { source, reads } = recording(threeTensors);
    const header = await readSafetensorsHeader(source);
    reads.length = 0;
    const values = await readTensor(source, header, "middle");
    expect(Array.from(values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reads).toEqual([[header.dataOffset + 8, 24]]);
  });

  it("returns an aligned F32 tensor as a view over an in-memory file", async () => {
    const source = bytesSource(threeTensors);
    const header = await readSafetensorsHeader(source);
    const values = await readTensor(source, header, "last");
    expect(values.buffer).toBe(threeTensors.buffer);
    expect(values.byteOffset).toBe(header.dataOffset + 32);
  });

  it("reads an F32 tensor correctly from a file that sits at an unaligned address", async () => {
    const shifted = new Uint8Array(threeTensors.byteLength + 1);
    shifted.set(threeTensors, 1);
    const source = bytesSource(shifted.subarray(1));
    const header = await readSafetensorsHeader(source);
    expect(Array.from(await readTensor(source, header, "middle"))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads a zero-size tensor without reading any bytes", async () => {
    const { source, reads } = recording(writeSafetensors([{ name: "empty", shape: [0], data: new Float32Array(0) }]));
    const header = await readSafetensorsHeader(source);
    reads.length = 0;
    const values = await readTensor(source, header, "empty");
    expect(values.length).toBe(0);
    expect(reads).toEqual([]);
  });

  it("converts F16, BF16 and F64 to Float32", async () => {
    const data = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
    const bytes = file(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"d":{"dtype":"F64","shape":[1],"data_offsets":[6,14]}}`, data);
    const { header, tensors } = await readSafetensors(bytesSource(bytes));
    expect(header.tensors.map((t) => t.dtype)).toEqual(["F16", "BF16", "F64"]);
    expect(Object.fromEntries([...tensors].map(([name, v]) => [name, Array.from(v)]))).toEqual({ h: [1, -2], b: [1], d: [1.5] });
  });

  it("missing-tensor: a name the header does not have", async () => {
    const source = bytesSource(threeTensors);
    const header = await readSafetensorsHeader(source);
    const error = await rejection(readTensor(source, header, "nope"));
    expect([error.rule, error.tensor, error.code]).toEqual(["missing-tensor", "nope", "safetensors.missing-tensor"]);
  });

  it.each(["I32", "U8", "BOOL", "F8_E4M3", "I64"])("dtype-unsupported: a %s tensor, rejected before reading its bytes", async (dtype) => {
    const { source, reads } = recording(file(`{"i":{"dtype":"${dtype}","shape":[0],"data_offsets":[0,0]}}`, new Uint8Array(0)));
    const header = await readSafetensorsHeader(source);
    reads.length = 0;
    const error = await rejection(readTensor(source, header, "i"));
    expect([error.rule, error.tensor, error.details["dtype"]]).toEqual(["dtype-unsupported", "i", dtype]);
    expect(reads).toEqual([]);
  });

  it("non-finite: names the tensor and the flat index of the first NaN or infinity", async () => {
    const source = bytesSource(
      writeSafetensors([
        { name: "ok", shape: [2], data: new Float32Array([1, 2]) },
        { name: "bad", shape: [2, 2], data: new Float32Array([0, 1, NaN, Infinity]) },
        { name: "neg", shape: [3], data: new Float32Array([0, -Infinity, 0]) },
      ]),
    );
    const header = await readSafetensorsHeader(source);
    const bad = await rejection(readTensor(source, header, "bad"));
    expect([bad.rule, bad.tensor, bad.details["index"]]).toEqual(["non-finite", "bad", 2]);
    expect(bad.message).toBe(`safetensors tensor "bad": the tensor holds a NaN or infinite value (value NaN at flat index 2)`);
    const neg = await rejection(readTensor(source, header, "neg"));
    expect([neg.rule, neg.tensor, neg.details["index"]]).toEqual(["non-finite", "neg", 1]);
  });

  it("non-finite: catches F16 values that overflowed to infinity", async () => {
    const source = bytesSource(writeSafetensors([{ name: "h", shape: [2], data: new Float32Array([1, 70000]), dtype: "F16" }]));
    const error = await rejection(readTensor(source, await readSafetensorsHeader(source), "h"));
    expect([error.rule, error.tensor, error.details["index"]]).toEqual(["non-finite", "h", 1]);
  });

  it("returns non-finite values as they are with { finite: false }", async () => {
    const source = bytesSource(writeSafetensors([{ name: "bad", shape: [3], data: new Float32Array([NaN, -Infinity, 1]) }]));
    const values = await readTensor(source, await readSafetensorsHeader(source), "bad", { finite: false });
    expect(Array.from(values)).toEqual([NaN, -Infinity, 1]);
  });

  it("truncated: a source that returns fewer bytes than asked", async () => {
    const inner = bytesSource(threeTensors);
    const short: ByteSource = { size: inner.size, read: async (offset, length) => (await inner.read(offset, length)).subarray(0, Math.max(0, length - 1)) };
    const header = await readSafetensorsHeader(bytesSource(threeTensors));
    const error = await rejection(readTensor(short, header, "middle"));
    expect([error.rule, error.tensor]).toEqual(["truncated", "middle"]);
  });
});

describe("readSafetensors", () => {
  it("returns the header and every tensor, in data order", async () => {
    const { header, tensors } = await readSafetensors(bytesSource(threeTensors));
    expect(header.metadata).toBeUndefined();
    expect([...tensors.keys()]).toEqual(["first", "middle", "last"]);
    expect(Array.from(tensors.get("last") ?? [])).toEqual([7]);
  });

  it("passes the finite option to every tensor", async () => {
    const bytes = writeSafetensors([{ name: "n", shape: [1], data: new Float32Array([NaN]) }]);
    expect((await rejection(readSafetensors(bytesSource(bytes)))).rule).toBe("non-finite");
    const { tensors } = await readSafetensors(bytesSource(bytes), { finite: false });
    expect(tensors.get("n")?.[0]).toBeNaN();
  });
});

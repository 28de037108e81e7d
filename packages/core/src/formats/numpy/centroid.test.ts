import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildZip, type FixtureMember } from "../../testing/zip.js";
import { CentroidError, type CentroidInput, type CentroidOptions, detectCentroidFormat, parseCentroid, SEMLA_CENTROID_KEY } from "./centroid.js";
import { NumpyFormatError } from "./errors.js";
import { writeNpy } from "./npy.js";

const json = (text: string): CentroidInput => ({ format: "json", bytes: new TextEncoder().encode(text) });
const npy = (shape: number[], values: number[]): CentroidInput => ({ format: "npy", bytes: writeNpy(shape, new Float32Array(values)) });

/** An .npz laid out as np.savez_compressed writes it: deflated members, force_zip64 local headers. */
function npz(arrays: Record<string, { shape: number[]; values: number[] | Float32Array }>): CentroidInput {
  const members = Object.entries(arrays).map(([key, { shape, values }]): FixtureMember => {
    const data = writeNpy(shape, Float32Array.from(values));
    return { name: `${key}.npy`, data, method: 8, payload: new Uint8Array(deflateRawSync(data)), zip64Local: true };
  });
  return { format: "npz", bytes: buildZip(members).bytes };
}

/** SemLA's `<domain>_statistics.npz`: train_average_embedding of shape (1, 768), float32. */
const embedding = Float32Array.from({ length: 768 }, (_, i) => Math.fround((i - 384) / 1000));

async function centroidFailure(input: CentroidInput, options?: CentroidOptions): Promise<CentroidError> {
  try {
    await parseCentroid(input, options);
  } catch (error) {
    if (error instanceof CentroidError) return error;
    throw error;
  }
  throw new Error("expected a CentroidError");
}

describe("parseCentroid: .npz", () => {
  it(`reads SemLA's statistics archive by its key ${SEMLA_CENTROID_KEY}, shape (1, 768)`, async () => {
    const input = npz({ train_average_embedding: { shape: [1, 768], values: embedding }, train_std: { shape: [1, 768], values: new Float32Array(768) } });
    const centroid = await parseCentroid(input, { dimension: 768 });
    expect(centroid).toEqual(embedding);
    expect(centroid[0]).toBe(Math.fround(-0.384));
  });

  it("uses the only array when the default key is absent", async () => {
    expect(Array.from(await parseCentroid(npz({ centroid: { shape: [3], values: [1, 2, 3] } })))).toEqual([1, 2, 3]);
  });

  it("refuses several arrays without the default key, listing the keys", async () => {
    const error = await centroidFailure(npz({ mean: { shape: [2], values: [1, 2] }, std: { shape: [2], values: [0, 0] } }));
    expect(error.code).toBe("centroid.key");
    expect(error.message).toBe('centroid: the .npz has no array "train_average_embedding": its arrays are "mean", "std"; pass the key to use');
    expect(error.details).toEqual({ rule: "key", key: "train_average_embedding", keys: ["mean", "std"] });
  });

  it("reads an explicit key", async () => {
    const input = npz({ mean: { shape: [2], values: [1, 2] }, std: { shape: [1, 2], values: [3, 4] } });
    expect(Array.from(await parseCentroid(input, { key: "std" }))).toEqual([3, 4]);
  });

  it("does not fall back to the only array when an explicit key is absent", async () => {
    const error = await centroidFailure(npz({ mean: { shape: [2], values: [1, 2] } }), { key: "centroid" });
    expect(error.message).toBe('centroid: the .npz has no array "centroid": its arrays are "mean"');
  });

  it("refuses an archive with no arrays", async () => {
    const error = await centroidFailure({ format: "npz", bytes: buildZip([]).bytes });
    expect(error.message).toBe('centroid: the .npz has no array "train_average_embedding": it has no arrays');
  });

  it("applies the shape rule to the array it picks", async () => {
    const error = await centroidFailure(npz({ train_average_embedding: { shape: [2, 2], values: [1, 2, 3, 4] } }));
    expect(error.code).toBe("centroid.shape");
  });

  it("passes archive errors through as NumpyFormatError", async () => {
    await expect(parseCentroid({ format: "npz", bytes: new Uint8Array(10) })).rejects.toMatchObject({ code: "numpy.zip-eocd" });
  });
});

describe("parseCentroid: .npy", () => {
  it("reads shapes (D,) and (1, D)", async () => {
    expect(Array.from(await parseCentroid(npy([3], [0.5, 1, 2])))).toEqual([0.5, 1, 2]);
    expect(Array.from(await parseCentroid(npy([1, 3], [0.5, 1, 2])))).toEqual([0.5, 1, 2]);
  });

  it.each([
    [[2, 3], "(2, 3)"],
    [[3, 1], "(3, 1)"],
    [[], "()"],
    [[1, 1, 3], "(1, 1, 3)"],
  ])("refuses shape %j", async (shape, text) => {
    const count = shape.reduce((n, d) => n * d, 1);
    const error = await centroidFailure(npy(shape, new Array<number>(count).fill(1)));
    expect(error.code).toBe("centroid.shape");
    expect(error.message).toBe(`centroid: expected shape (D,) or (1, D), got ${text}`);
    expect(error.details).toEqual({ rule: "shape", shape });
  });

  it.each([
    [[0], "(0,)"],
    [[1, 0], "(1, 0)"],
  ])("refuses the empty shape %j", async (shape, text) => {
    const error = await centroidFailure(npy(shape, []));
    expect(error.code).toBe("centroid.empty");
    expect(error.message).toBe(`centroid: the vector is empty (shape ${text})`);
  });

  it("refuses Infinity and NaN, naming the first bad index", async () => {
    const inf = await centroidFailure(npy([4], [0, 1, -Infinity, NaN]));
    expect(inf.code).toBe("centroid.non-finite");
    expect(inf.message).toBe("centroid: element 2 is -Infinity");
    expect(inf.details).toEqual({ rule: "non-finite", index: 2, value: "-Infinity" });
    expect((await centroidFailure(npy([1, 2], [NaN, 0]))).message).toBe("centroid: element 0 is NaN");
  });

  it("passes .npy errors through as NumpyFormatError", async () => {
    const bytes = writeNpy([2], new Float32Array([1, 2])).subarray(0, 130);
    await expect(parseCentroid({ format: "npy", bytes })).rejects.toBeInstanceOf(NumpyFormatError);
  });
});

describe("parseCentroid: JSON", () => {
  it("reads a flat array as (D,) and a single-row nested array as (1, D), rounding to float32", async () => {
    expect(Array.from(await parseCentroid(json("[0.1, -2, 3e-3]")))).toEqual([Math.fround(0.1), -2, Math.fround(3e-3)]);
    expect(Array.from(await parseCentroid(json(" [[0.5, 1]] \n")))).toEqual([0.5, 1]);
  });

  it("reads a document with a UTF-8 byte order mark", async () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("[1]")]);
    expect(Array.from(await parseCentroid({ format: "json", bytes }))).toEqual([1]);
  });

  it.each([
    ["[1, null, 3]", "element [1] is null, not a number"],
    ['[1, "2"]', 'element [1] is the string "2", not a number'],
    ["[[1, true]]", "element [0][1] is a boolean, not a number"],
    ["[[1], 2]", "element [0] is an array, not a number"],
    ["[1, {}]", "element [1] is an object, not a number"],
  ])("refuses %s: %s", async (text, message) => {
    const error = await centroidFailure(json(text));
    expect(error.code).toBe("centroid.json");
    expect(error.message).toBe(`centroid: ${message}`);
  });

  it("refuses a document that is not an array", async () => {
    expect((await centroidFailure(json('{"centroid": [1]}'))).message).toBe("centroid: expected an array of numbers, got an object");
    expect((await centroidFailure(json("3"))).message).toBe("centroid: expected an array of numbers, got a number");
  });

  it("refuses text that is not JSON, and bytes that are not UTF-8", async () => {
    const error = await centroidFailure(json("[1, 2"));
    expect(error.code).toBe("centroid.json");
    expect(error.message).toMatch(/^centroid: not a JSON document \(.+\)$/);
    expect((await centroidFailure({ format: "json", bytes: Uint8Array.from([0x5b, 0xff, 0x5d]) })).code).toBe("centroid.json");
  });

  it("refuses several rows", async () => {
    const error = await centroidFailure(json("[[1, 2], [3, 4]]"));
    expect(error.code).toBe("centroid.shape");
    expect(error.message).toBe("centroid: a nested array must have exactly one row (shape (1, D)), got 2 rows");
  });

  it("refuses [] and [[]] as empty", async () => {
    expect((await centroidFailure(json("[]"))).message).toBe("centroid: the vector is empty (shape (0,))");
    expect((await centroidFailure(json("[[]]"))).message).toBe("centroid: the vector is empty (shape (1, 0))");
  });

  it("refuses numbers that overflow: 1e999 parses as Infinity, 1e39 overflows float32", async () => {
    expect((await centroidFailure(json("[0, 1e999]"))).message).toBe("centroid: element 1 is Infinity");
    expect((await centroidFailure(json("[[-1e39, 0]]"))).message).toBe("centroid: element 0 is -Infinity");
  });
});

describe("parseCentroid: dimension and options", () => {
  it("accepts the expected dimension and refuses another, saying both numbers", async () => {
    expect((await parseCentroid(json("[1, 2, 3]"), { dimension: 3 })).length).toBe(3);
    const error = await centroidFailure(json("[1, 2, 3]"), { dimension: 768 });
    expect(error.code).toBe("centroid.dimension-mismatch");
    expect(error.message).toBe("centroid: the vector has 3 dimensions, expected 768");
    expect(error.details).toEqual({ rule: "dimension-mismatch", expected: 768, actual: 3 });
  });

  it.each([0, -1, 1.5, NaN])("refuses the dimension option %s", async (dimension) => {
    const error = await centroidFailure(json("[1]"), { dimension });
    expect(error.code).toBe("centroid.options");
    expect(error.message).toBe(`centroid: dimension must be a positive integer, got ${dimension}`);
  });

  it("ignores the key for JSON and .npy", async () => {
    expect(Array.from(await parseCentroid(json("[1]"), { key: "x" }))).toEqual([1]);
    expect(Array.from(await parseCentroid(npy([1], [1]), { key: "x" }))).toEqual([1]);
  });

  it("refuses an unknown format from untyped callers", async () => {
    const input = { format: "csv", bytes: new Uint8Array() } as unknown as CentroidInput;
    const error = await centroidFailure(input);
    expect(error.code).toBe("centroid.format");
    expect(error.message).toBe('centroid: unknown format "csv"; expected json, npy or npz');
  });

  it("is a SemlaError with a stable code", async () => {
    const error = await centroidFailure(json("[]"));
    expect(error.name).toBe("CentroidError");
    expect(error.rule).toBe("empty");
  });
});

describe("detectCentroidFormat", () => {
  const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

  it("detects .npy by \\x93NUMPY and .npz by PK\\x03\\x04 (or PK\\x05\\x06, an empty archive), whatever the name", () => {
    expect(detectCentroidFormat("centroid.json", writeNpy([1], new Float32Array(1)))).toBe("npy");
    expect(detectCentroidFormat("upload", buildZip([{ name: "a.npy", data: new Uint8Array(1) }]).bytes)).toBe("npz");
    expect(detectCentroidFormat("upload.bin", buildZip([]).bytes)).toBe("npz");
  });

  it("treats anything else as JSON", () => {
    expect(detectCentroidFormat("centroid.json", new TextEncoder().encode("[1, 2]"))).toBe("json");
    expect(detectCentroidFormat("anything", new Uint8Array())).toBe("json");
    expect(detectCentroidFormat("x", bytes(0x50, 0x4b, 0x01, 0x02))).toBe("json");
    expect(detectCentroidFormat("x", bytes(0x93, 0x4e, 0x55))).toBe("json");
  });

  it("keeps a .npy/.npz name's format when the magic is missing, so the parser reports the damage", async () => {
    expect(detectCentroidFormat("domain_statistics.NPZ", new TextEncoder().encode("oops"))).toBe("npz");
    expect(detectCentroidFormat("centroid.npy", new TextEncoder().encode("oops"))).toBe("npy");
    await expect(parseCentroid({ format: "npy", bytes: new TextEncoder().encode("oops") })).rejects.toMatchObject({ code: "numpy.magic" });
  });
});

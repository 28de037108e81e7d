import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { numpyFailure } from "../../testing/numpy.js";
import { buildZip, type FixtureMember } from "../../testing/zip.js";
import { writeNpy } from "./npy.js";
import { openNpz, readNpz } from "./npz.js";

/** A member laid out as np.savez writes it (force_zip64 local header), optionally deflated as np.savez_compressed does. */
function member(name: string, data: Uint8Array, compressed = false): FixtureMember {
  return compressed ? { name, data, method: 8, payload: new Uint8Array(deflateRawSync(data)), zip64Local: true } : { name, data, zip64Local: true };
}

const row = writeNpy([1, 3], new Float32Array([0.25, 0.5, 0.75]));
const vector = writeNpy([2], new Float32Array([1, -1]));

describe("openNpz", () => {
  it.each([false, true])("keys arrays by member name without .npy and parses them (deflated: %s)", async (compressed) => {
    const npz = openNpz(buildZip([member("train_average_embedding.npy", row, compressed), member("other.npy", vector, compressed)]).bytes);
    expect(npz.keys()).toEqual(["train_average_embedding", "other"]);
    expect(await npz.array("train_average_embedding")).toEqual({ shape: [1, 3], data: new Float32Array([0.25, 0.5, 0.75]) });
    expect(await npz.array("other")).toEqual({ shape: [2], data: new Float32Array([1, -1]) });
  });

  it("lists only .npy members as keys (np.load's files would also show other members as raw bytes)", () => {
    const npz = openNpz(buildZip([member("readme.txt", new TextEncoder().encode("hi")), member("a.npy", vector), member("sub/b.npy", vector)]).bytes);
    expect(npz.keys()).toEqual(["a", "sub/b"]);
  });

  it("returns a copy of its keys", () => {
    const npz = openNpz(buildZip([member("a.npy", vector)]).bytes);
    npz.keys().push("b");
    expect(npz.keys()).toEqual(["a"]);
  });

  it("refuses a key it does not have, listing the keys it has", async () => {
    const npz = openNpz(buildZip([member("a.npy", vector), member("b.npy", vector)]).bytes);
    const error = await numpyFailure(() => npz.array("c"));
    expect(error.code).toBe("numpy.npz-missing-key");
    expect(error.message).toBe('numpy archive member "c.npy": the .npz archive has no array with this key (key "c"; keys: "a", "b")');
    expect(error.details).toEqual({ rule: "npz-missing-key", member: "c.npy", key: "c", keys: ["a", "b"] });
    expect((await numpyFailure(() => openNpz(buildZip([]).bytes).array("a"))).reason).toBe('key "a"; keys: none');
  });

  it("does not accept the member name with its suffix as a key", async () => {
    expect((await numpyFailure(() => openNpz(buildZip([member("a.npy", vector)]).bytes).array("a.npy"))).code).toBe("numpy.npz-missing-key");
  });

  it("names the member when an array inside is malformed", async () => {
    const npz = openNpz(buildZip([member("bad.npy", row.subarray(0, row.length - 1))]).bytes);
    const error = await numpyFailure(() => npz.array("bad"));
    expect(error.code).toBe("numpy.truncated");
    expect(error.member).toBe("bad.npy");
    expect(error.message).toBe('numpy archive member "bad.npy": the file is shorter than its header says (shape (1, 3) of <f4 needs 12 data bytes, 11 present)');
    expect(error.details).toEqual({ rule: "truncated", member: "bad.npy", expected: 12, actual: 11 });
  });

  it("names the member when a member is not .npy at all", async () => {
    const error = await numpyFailure(() => openNpz(buildZip([member("x.npy", new TextEncoder().encode("{}"))]).bytes).array("x"));
    expect(error.code).toBe("numpy.magic");
    expect(error.member).toBe("x.npy");
  });

  it("passes ZIP errors through, naming the member (CRC mismatch)", async () => {
    const error = await numpyFailure(() => openNpz(buildZip([{ ...member("a.npy", vector), crc: 1, localCrc: 1 }]).bytes).array("a"));
    expect(error.code).toBe("numpy.zip-crc");
    expect(error.member).toBe("a.npy");
  });

  it("refuses a non-ZIP at open time", async () => {
    expect((await numpyFailure(() => openNpz(row))).code).toBe("numpy.zip-eocd");
  });

  it("applies maxMemberSize to the members it reads", async () => {
    const error = await numpyFailure(() => openNpz(buildZip([member("a.npy", row, true)]).bytes, { maxMemberSize: 100 }).array("a"));
    expect(error.code).toBe("numpy.zip-member-too-large");
    expect(error.reason).toBe("140 bytes, limit 100");
  });
});

describe("readNpz", () => {
  it("reads every array into a Map in archive order", async () => {
    const arrays = await readNpz(buildZip([member("x.npy", vector, true), member("y.npy", row)]).bytes);
    expect([...arrays.keys()]).toEqual(["x", "y"]);
    expect(arrays.get("y")).toEqual({ shape: [1, 3], data: new Float32Array([0.25, 0.5, 0.75]) });
  });

  it("is empty for an archive without arrays", async () => {
    expect((await readNpz(buildZip([]).bytes)).size).toBe(0);
  });

  it("fails on the first malformed array", async () => {
    const error = await numpyFailure(() => readNpz(buildZip([member("x.npy", vector), member("y.npy", new Uint8Array(3))]).bytes));
    expect(error.member).toBe("y.npy");
  });
});

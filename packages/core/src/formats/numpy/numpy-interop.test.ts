import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCentroid } from "./centroid.js";
import { readNpy, writeNpy } from "./npy.js";
import { openNpz } from "./npz.js";

/** Cross-checks against files written by real numpy (reference/, see its README). */
describe("interoperability with numpy", () => {
  const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./reference/${name}`, import.meta.url)));
  const c = [0, 0.25, 0.5, 0.75, 1, 1.25];
  const embedding = Float32Array.from({ length: 768 }, (_, i) => Math.fround(Math.fround(i - 384) / 1000));

  it("reads np.save output: f4, f2, f8, 0-d, and format versions 2.0 and 3.0", () => {
    expect(readNpy(file("f4.npy"))).toEqual({ shape: [2, 3], data: Float32Array.from(c) });
    expect(readNpy(file("f2.npy"))).toEqual({ shape: [4], data: Float32Array.from([1, -2, 65504, 2 ** -24]) });
    expect(readNpy(file("f8.npy"))).toEqual({ shape: [2], data: Float32Array.from([0.1, -2.5]) });
    expect(readNpy(file("scalar.npy"))).toEqual({ shape: [], data: Float32Array.from([3.5]) });
    expect(readNpy(file("v2.npy"))).toEqual({ shape: [2, 3], data: Float32Array.from(c) });
    expect(readNpy(file("v3.npy"))).toEqual({ shape: [2, 3], data: Float32Array.from(c) });
  });

  it("reads Fortran-ordered arrays in C order", () => {
    expect(readNpy(file("fortran.npy"))).toEqual({ shape: [2, 3], data: Float32Array.from(c) });
    expect(readNpy(file("fortran3.npy"))).toEqual({ shape: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => i) });
  });

  it("writes a (1, 768) float32 array byte for byte as np.save does", () => {
    expect(writeNpy([1, 768], embedding)).toEqual(file("embedding.npy"));
  });

  it("reads np.savez (stored, ZIP64 local headers) and np.savez_compressed (deflated) archives", async () => {
    const stored = openNpz(file("savez.npz"));
    expect(stored.keys()).toEqual(["train_average_embedding", "train_std"]);
    expect(await stored.array("train_std")).toEqual({ shape: [1, 768], data: new Float32Array(768).fill(1) });
    const compressed = openNpz(file("compressed.npz"));
    expect(compressed.keys()).toEqual(["train_average_embedding", "count"]);
    expect(await compressed.array("count")).toEqual({ shape: [1], data: Float32Array.from([12]) });
    expect(openNpz(file("positional.npz")).keys()).toEqual(["arr_0"]);
  });

  it("parses the centroid from each of SemLA's possible files", async () => {
    for (const [name, format] of [
      ["savez.npz", "npz"],
      ["compressed.npz", "npz"],
      ["positional.npz", "npz"],
      ["embedding.npy", "npy"],
    ] as const) {
      expect(await parseCentroid({ format, bytes: file(name) }, { dimension: 768 })).toEqual(embedding);
    }
  });
});

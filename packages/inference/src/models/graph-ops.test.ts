import { onnx } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession, type OrtSession } from "../runtime/ort.js";
import { maxAbsDifference } from "../testing/arrays.js";

/** PyTorch's F.interpolate(mode="bilinear", align_corners=False) of one [h, w] plane by an integer factor. */
function bilinearUpsample(plane: readonly number[], h: number, w: number, factor: number): number[] {
  const source = (dst: number, size: number) => {
    const s = Math.max((dst + 0.5) / factor - 0.5, 0);
    const i0 = Math.floor(s);
    return { i0, i1: Math.min(i0 + 1, size - 1), t: s - i0 };
  };
  const out: number[] = [];
  for (let y = 0; y < h * factor; y++) {
    const sy = source(y, h);
    for (let x = 0; x < w * factor; x++) {
      const sx = source(x, w);
      const at = (yy: number, xx: number) => plane[yy * w + xx]!;
      const top = at(sy.i0, sx.i0) * (1 - sx.t) + at(sy.i0, sx.i1) * sx.t;
      const bottom = at(sy.i1, sx.i0) * (1 - sx.t) + at(sy.i1, sx.i1) * sx.t;
      out.push(top * (1 - sy.t) + bottom * sy.t);
    }
  }
  return out;
}

describe("graph builder ops in ONNX Runtime", () => {
  let session: OrtSession;
  beforeAll(async () => {
    const g = new onnx.GraphBuilder("ops");
    const x = g.input("x", "float32", [1, 2, 2, 3]);
    g.output(g.resize(x, [1, 1, 4, 4]), "upsampled", "float32", [1, 2, 8, 12]);
    g.output(g.reduceMean(x, [-1], false), "row_mean", "float32", [1, 2, 2]);
    g.output(g.softmax(x, -1), "softmax", "float32", [1, 2, 2, 3]);
    g.output(g.slice(x, { starts: [0], ends: [3], axes: [3], steps: [2] }), "every_other", "float32", [1, 2, 2, 2]);
    session = await createOrtSession(onnx.encodeModel(g.build()));
  });
  afterAll(() => session.release());

  const values = [1, 2, 4, -3, 0, 5, 0.5, 0.25, 8, 7, -1, 2];
  const feed = { x: { type: "float32" as const, data: Float32Array.from(values), dims: [1, 2, 2, 3] } };

  it("resizes as PyTorch's bilinear interpolation with align_corners=False", async () => {
    const { upsampled } = await session.run(feed);
    expect(upsampled!.dims).toEqual([1, 2, 8, 12]);
    const expected = [...bilinearUpsample(values.slice(0, 6), 2, 3, 4), ...bilinearUpsample(values.slice(6), 2, 3, 4)];
    expect(maxAbsDifference(upsampled!.data, expected)).toBeLessThan(1e-6);
  });

  it("reduces over axes given as an input (opset 18), softmaxes the last axis, slices with steps", async () => {
    const out = await session.run(feed);
    expect(Array.from(out["row_mean"]!.data)).toEqual([7 / 3, 2 / 3, 8.75 / 3, 8 / 3].map(Math.fround));
    const e = [1, 2, 4].map(Math.exp);
    const total = e.reduce((a, b) => a + b, 0);
    expect(
      maxAbsDifference(
        out["softmax"]!.data.subarray(0, 3),
        e.map((v) => v / total),
      ),
    ).toBeLessThan(1e-7);
    expect(Array.from(out["every_other"]!.data)).toEqual([1, 4, -3, 5, 0.5, 8, 7, 2]);
  });
});

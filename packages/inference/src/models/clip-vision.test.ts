import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT, onnx } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession, type OrtSession } from "../runtime/ort.js";
import { maxAbs, maxAbsDifference, normalArray } from "../testing/arrays.js";
import { clipVisionReference } from "../testing/clip-reference.js";

const config = onnx.CLIP_VISION_TINY;
const graph = onnx.buildClipVision(config, 11);
const imageSize = 3 * config.imageSize * config.imageSize;

describe("CLIP vision model in ONNX Runtime", () => {
  let session: OrtSession;
  beforeAll(async () => {
    session = await createOrtSession(onnx.encodeModel(graph), { intraOpThreads: 1 });
  });
  afterAll(() => session.release());

  it("takes pixel_values and returns image_embeds", () => {
    expect(session.inputNames).toEqual([CLIP_VISION_INPUT]);
    expect(session.outputNames).toEqual([CLIP_VISION_OUTPUT]);
  });

  it("computes transformers' CLIPVisionModelWithProjection forward pass (dense Float64 reference) for a batch of 2", async () => {
    const pixels = normalArray(2 * imageSize, 1, "pixels");
    const embeds = (await session.run({ [CLIP_VISION_INPUT]: { type: "float32", data: pixels, dims: [2, 3, 32, 32] } }))[CLIP_VISION_OUTPUT];
    expect(embeds!.dims).toEqual([2, 16]);
    for (let b = 0; b < 2; b++) {
      const expected = clipVisionReference(graph, config, pixels.subarray(b * imageSize, (b + 1) * imageSize));
      const actual = embeds!.data.subarray(b * 16, (b + 1) * 16);
      // Activations of order one: a mis-wired op would be off by far more than float32 rounding.
      expect(maxAbs(expected)).toBeGreaterThan(0.1);
      expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-4);
    }
  });

  it("does not normalise the embeddings, and treats batch items independently", async () => {
    const pixels = normalArray(2 * imageSize, 2, "pixels");
    const both = await session.run({ [CLIP_VISION_INPUT]: { type: "float32", data: pixels, dims: [2, 3, 32, 32] } });
    const second = await session.run({ [CLIP_VISION_INPUT]: { type: "float32", data: pixels.slice(imageSize), dims: [1, 3, 32, 32] } });
    expect(maxAbsDifference(both[CLIP_VISION_OUTPUT]!.data.subarray(16), second[CLIP_VISION_OUTPUT]!.data)).toBeLessThan(1e-6);
    const norm = Math.hypot(...second[CLIP_VISION_OUTPUT]!.data);
    expect(Math.abs(norm - 1)).toBeGreaterThan(1e-3);
  });
});

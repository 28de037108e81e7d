import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT, onnx } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession } from "../runtime/ort.js";
import { normalArray } from "../testing/arrays.js";

describe("a model with external data", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-external-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("loads by path and computes what the inline model computes", async () => {
    const graph = onnx.buildClipVision(onnx.CLIP_VISION_TINY, 12);
    const inline = onnx.encodeModel(graph);
    const { model, externalData } = onnx.encodeModel(graph, { externalData: { location: "clip.onnx.data", thresholdBytes: 256 } });
    // Every weight matrix went out, each at a page-aligned offset; the model file kept only small tensors.
    expect(externalData.entries.length).toBeGreaterThan(10);
    expect(externalData.entries.every((e) => e.offset % 4096 === 0 && e.location === "clip.onnx.data")).toBe(true);
    expect(model.byteLength).toBeLessThan(inline.byteLength / 4);
    await writeFile(path.join(dir, "clip.onnx"), model);
    await writeFile(path.join(dir, "clip.onnx.data"), onnx.concatParts(externalData));

    const fromFile = await createOrtSession(path.join(dir, "clip.onnx"));
    const fromBytes = await createOrtSession(inline);
    const feeds = { [CLIP_VISION_INPUT]: { type: "float32" as const, data: normalArray(3 * 32 * 32, 3), dims: [1, 3, 32, 32] } };
    const [a, b] = await Promise.all([fromFile.run(feeds), fromBytes.run(feeds)]);
    expect(Array.from(a[CLIP_VISION_OUTPUT]!.data)).toEqual(Array.from(b[CLIP_VISION_OUTPUT]!.data));
    await Promise.all([fromFile.release(), fromBytes.release()]);
  });

  it("cannot be loaded from bytes alone, and says so", async () => {
    const graph = onnx.buildClipVision(onnx.CLIP_VISION_TINY, 12);
    const { model } = onnx.encodeModel(graph, { externalData: { location: "missing.data" } });
    await expect(createOrtSession(model)).rejects.toMatchObject({ code: "ort.model-load-failed" });
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT, ensureGeneratedPack, onnx, SEGMENTATION_PIXELS, SEGMENTATION_TEXT } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession } from "../runtime/ort.js";

// The models package writes the files (and tests their manifest); these check that ONNX Runtime
// loads them by path, with external data beside them, and a fitted variant's graph.
describe("model files in ONNX Runtime", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-model-files-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("loads each of a preset's models by path, with one output", async () => {
    const files = await ensureGeneratedPack(path.join(root, "tiny"), "tiny");
    for (const file of [files.imageEncoder.path, (files.textEncoder as { path: string }).path, files.segmenter!.path]) {
      const session = await createOrtSession(file);
      expect(session.outputNames.length).toBe(1);
      await session.release();
    }
  });

  it("computes from weights kept in <file>.data what it computes from inline ones", async () => {
    const inline = await ensureGeneratedPack(path.join(root, "tiny"), "tiny");
    const external = await ensureGeneratedPack(path.join(root, "external"), "tiny", { externalDataThresholdBytes: 0 });
    expect(external.manifest.imageEncoder.externalData).toEqual([expect.objectContaining({ path: "clip-vision.onnx.data" })]);
    const feeds = { [CLIP_VISION_INPUT]: { type: "float32" as const, data: new Float32Array(3 * 32 * 32).fill(0.5), dims: [1, 3, 32, 32] } };
    const [a, b] = await Promise.all([createOrtSession(inline.imageEncoder.path), createOrtSession(external.imageEncoder.path)]);
    expect((await b.run(feeds))[CLIP_VISION_OUTPUT]).toEqual((await a.run(feeds))[CLIP_VISION_OUTPUT]);
    await Promise.all([a.release(), b.release()]);
  });

  it("loads a variant's custom graph (no LoRA inputs here)", async () => {
    const { segmentation, seeds } = onnx.MODEL_PRESETS.tiny;
    const graph = () => onnx.buildSegmentationModel(segmentation, seeds.segmentation, { loraInputs: false });
    const files = await ensureGeneratedPack(path.join(root, "fitted"), "tiny", { custom: { variant: "fit-a", graphs: { segmentation: graph } } });
    const session = await createOrtSession(files.segmenter!.path);
    expect(session.inputNames).toEqual([SEGMENTATION_PIXELS, SEGMENTATION_TEXT]);
    await session.release();
  });
});

import { type LoraAdapter, randomAdapter } from "@semla/core";
import { onnx, SEGMENTATION_OUTPUT, SEGMENTATION_PIXELS, SEGMENTATION_TEXT, TEXT_ENCODER_ATTENTION_MASK, TEXT_ENCODER_INPUT_IDS, TEXT_ENCODER_OUTPUT } from "@semla/models";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageError } from "../preprocess/errors.js";
import { preprocessSquare } from "../preprocess/square.js";
import { createOrtSession, type OrtFeed } from "../runtime/ort.js";
import { bandsRgb, encodeRaw, noiseRgb } from "../testing/images.js";
import { tinyModelFiles } from "../testing/tiny-models.js";
import type { SegmentationOutput } from "../types.js";
import { labelMask } from "./label-mask.js";
import { loraFeeds } from "./lora-feeds.js";
import { encodeMaskPng } from "./mask-png.js";
import { OnnxSegmenter } from "./segmenter.js";

let models: Awaited<ReturnType<typeof tinyModelFiles>>;
let segmenter: OnnxSegmenter;
let config: onnx.SegmentationConfig;
let targets: ReturnType<typeof onnx.segmentationLoraModules>;
let adapter: LoraAdapter;
const CLASSES = ["sky", "tree", "road", "building"];
let photo: Uint8Array;

beforeAll(async () => {
  models = await tinyModelFiles();
  config = models.configs.segmentation;
  targets = onnx.segmentationLoraModules(config);
  // Large factors so the adapter visibly changes the answer.
  adapter = randomAdapter({ modules: targets, rank: 4, seed: 7, std: 0.5 });
  segmenter = await OnnxSegmenter.fromPack(models);
  photo = await encodeRaw(noiseRgb(37, 23, 5), 37, 23, 3, "png");
});

afterAll(async () => {
  await segmenter?.close();
  await models?.remove();
});

async function maskOf(output: SegmentationOutput): Promise<number[]> {
  const { data, info } = await sharp(output.maskPng).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([output.width, output.height, 1]);
  return Array.from(data);
}

/** The same request computed on the main thread from the pieces: decode → text → model → mask. */
async function reference(image: Uint8Array, classNames: readonly string[], model: string | Uint8Array, lora: Record<string, OrtFeed>) {
  const pixels = await preprocessSquare(image, { size: config.imageSize, mean: config.imageMean, std: config.imageStd });
  const tokens = onnx.tokenizeClassNames(classNames, { length: models.configs.textEncoder.contextLength });
  const text = await createOrtSession(models.paths.textEncoder);
  const seg = await createOrtSession(model);
  try {
    const embeds = (
      await text.run({
        [TEXT_ENCODER_INPUT_IDS]: { type: "int64", data: tokens.inputIds, dims: tokens.dims },
        [TEXT_ENCODER_ATTENTION_MASK]: { type: "float32", data: tokens.attentionMask, dims: tokens.dims },
      })
    )[TEXT_ENCODER_OUTPUT];
    const logits = (
      await seg.run({
        [SEGMENTATION_PIXELS]: { type: "float32", data: pixels.data, dims: [1, 3, config.imageSize, config.imageSize] },
        [SEGMENTATION_TEXT]: { type: "float32", data: embeds!.data, dims: embeds!.dims },
        ...lora,
      })
    )[SEGMENTATION_OUTPUT];
    const mask = labelMask(logits!.data, classNames.length, config.imageSize, pixels.width, pixels.height);
    return { mask, png: await encodeMaskPng(mask) };
  } finally {
    await Promise.all([text.release(), seg.release()]);
  }
}

describe("OnnxSegmenter", () => {
  it("returns a greyscale label PNG at the image size, per-class scores and stage timings", async () => {
    const out = await segmenter.segment({ image: photo, classNames: CLASSES, adapter: null });
    expect([out.width, out.height]).toEqual([37, 23]);
    const mask = await maskOf(out);
    expect(mask.every((v) => v < CLASSES.length)).toBe(true);
    expect(out.scores.map((s) => s.className)).toEqual(CLASSES);
    out.scores.forEach((s, c) => {
      expect(s.pixelFraction).toBe(mask.filter((v) => v === c).length / (37 * 23));
    });
    expect(out.scores.reduce((s, c) => s + c.meanProbability, 0)).toBeCloseTo(1, 5);
    expect(Object.keys(out.timings)).toEqual(["preprocess", "text", "queue", "inference", "postprocess", "total"]);
    for (const ms of Object.values(out.timings)) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it("equals the pipeline computed by hand on the main thread (zero-shot: every LoRA input at rank 0)", async () => {
    const out = await segmenter.segment({ image: photo, classNames: CLASSES, adapter: null });
    const expected = await reference(photo, CLASSES, models.paths.segmentation, loraFeeds(targets, null) as Record<string, OrtFeed>);
    expect(await maskOf(out)).toEqual(Array.from(expected.mask.labels));
    expect(Buffer.from(out.maskPng).equals(Buffer.from(expected.png))).toBe(true);
    out.scores.forEach((s, c) => {
      expect(s.pixelFraction).toBe(expected.mask.pixelFraction[c]);
      expect(s.meanProbability).toBeCloseTo(expected.mask.meanProbability[c]!, 6);
    });
  });

  it("applies an adapter as the model with W + scaling·B·A baked into its weights does", async () => {
    const zeroShot = await segmenter.segment({ image: photo, classNames: CLASSES, adapter: null });
    const adapted = await segmenter.segment({ image: photo, classNames: CLASSES, adapter });
    const baked = onnx.encodeModel(onnx.buildSegmentationModel(config, models.configs.seeds.segmentation, { bakedAdapter: adapter }));
    const expected = await reference(photo, CLASSES, baked, {});
    const mask = await maskOf(adapted);
    const zeroShotMask = await maskOf(zeroShot);
    expect(mask).not.toEqual(zeroShotMask);
    const agree = mask.filter((v, i) => v === expected.mask.labels[i]).length / mask.length;
    expect(mask.filter((v, i) => v !== zeroShotMask[i]).length / mask.length).toBeGreaterThan(0.2); // (0.69 measured)
    expect(agree).toBeGreaterThan(0.99); // 1 measured; float rounding differs between (x·Aᵀ)·Bᵀ and a baked W: near-ties may flip
    adapted.scores.forEach((s, c) => {
      expect(s.meanProbability).toBeCloseTo(expected.mask.meanProbability[c]!, 3);
    });
    // The adapter is the caller's: nothing of it was detached by the transfer to the worker.
    expect(adapter.modules.every((m) => m.a.byteLength > 0 && m.b.byteLength > 0)).toBe(true);
  });

  it("a fused adapter (scaling 1, B pre-scaled) gives the same answer as its scaled original", async () => {
    const fused: LoraAdapter = {
      config: adapter.config,
      modules: adapter.modules.map((m) => ({ ...m, scaling: 1, alpha: m.rank, b: m.b.map((v) => v * m.scaling) })),
    };
    const a = await segmenter.segment({ image: photo, classNames: CLASSES, adapter });
    const b = await segmenter.segment({ image: photo, classNames: CLASSES, adapter: fused });
    expect(await maskOf(b)).toEqual(await maskOf(a));
  });

  it("applies EXIF orientation: the mask has the displayed size", async () => {
    const jpeg = await encodeRaw(
      bandsRgb(40, 20, [
        [255, 0, 0],
        [0, 0, 255],
      ]),
      40,
      20,
      3,
      "jpeg",
      6,
    );
    const out = await segmenter.segment({ image: jpeg, classNames: ["red", "blue"], adapter: null });
    expect([out.width, out.height]).toEqual([20, 40]);
    expect((await maskOf(out)).length).toBe(800);
  });

  it("gives the same answer whatever the number of workers, also under concurrent load", async () => {
    const images = [photo, await encodeRaw(noiseRgb(64, 48, 9), 64, 48, 3, "webp"), await encodeRaw(noiseRgb(20, 50, 3), 20, 50, 3, "jpeg")];
    const requests = images.flatMap((image) => [null, adapter].map((a) => ({ image, classNames: CLASSES, adapter: a })));
    const one: SegmentationOutput[] = [];
    for (const r of requests) one.push(await segmenter.segment(r));
    const three = await OnnxSegmenter.fromPack(models, { workers: 3 });
    try {
      const parallel = await Promise.all(requests.map((r) => three.segment(r)));
      parallel.forEach((p, i) => {
        expect(Buffer.from(p.maskPng).equals(Buffer.from(one[i]!.maskPng))).toBe(true);
        expect(p.scores).toEqual(one[i]!.scores);
      });
    } finally {
      await three.close();
    }
  });

  it("caches class-name embeddings, bounded", async () => {
    const small = await OnnxSegmenter.fromPack(models, { textCacheSize: 2 });
    try {
      await small.segment({ image: photo, classNames: ["sky", "tree", "road"], adapter: null });
      expect(small.cachedClassNames).toBe(2);
      const again = await small.segment({ image: photo, classNames: ["sky", "tree", "road"], adapter: null });
      const cold = await segmenter.segment({ image: photo, classNames: ["sky", "tree", "road"], adapter: null });
      expect(again.scores).toEqual(cold.scores);
    } finally {
      await small.close();
    }
  });

  it("refuses an empty class list, more than 255 classes, blank and duplicate class names (the transport's class-list rules)", async () => {
    await expect(segmenter.segment({ image: photo, classNames: [], adapter: null })).rejects.toMatchObject({
      code: "segment.no-classes",
      message: "at least one class name is needed to segment",
    });
    const many = Array.from({ length: 256 }, (_, i) => `class ${i}`);
    await expect(segmenter.segment({ image: photo, classNames: many, adapter: null })).rejects.toMatchObject({ code: "segment.too-many-classes", details: { classes: 256, max: 255 } });
    await expect(segmenter.segment({ image: photo, classNames: ["road", "sky", "road "], adapter: null })).rejects.toMatchObject({
      code: "segment.duplicate-class-name",
      details: { name: "road", indices: [0, 2] },
    });
    await expect(segmenter.segment({ image: photo, classNames: ["sky", " _ "], adapter: null })).rejects.toMatchObject({
      code: "segment.invalid-class-name",
      message: 'class name " _ " is empty after normalisation',
    });
  });

  it("refuses an adapter that does not fit the model before decoding anything", async () => {
    const unknown = randomAdapter({ modules: [{ name: "text_encoder.layers.0.q", inFeatures: 32, outFeatures: 32 }], rank: 2, seed: 1 });
    await expect(segmenter.segment({ image: new Uint8Array(), classNames: CLASSES, adapter: unknown })).rejects.toMatchObject({
      code: "segment.unknown-module",
      message: "adapter module text_encoder.layers.0.q is not a LoRA target of the segmentation model",
    });
    const target = targets[0]!;
    const wrong = randomAdapter({ modules: [{ ...target, inFeatures: 48 }], rank: 2, seed: 1 });
    await expect(segmenter.segment({ image: new Uint8Array(), classNames: CLASSES, adapter: wrong })).rejects.toMatchObject({
      code: "segment.module-shape",
      message: `adapter module ${target.name} has A [2, 48] and B [${target.outFeatures}, 2]; the model expects A [r, ${target.inFeatures}] and B [${target.outFeatures}, r]`,
    });
  });

  it("refuses images it cannot read with ImageError, and works again afterwards", async () => {
    const error = await segmenter.segment({ image: new TextEncoder().encode("<html>"), classNames: CLASSES, adapter: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((await segmenter.segment({ image: photo, classNames: CLASSES, adapter: null })).width).toBe(37);
  });

  it("rejects with worker.closed after close()", async () => {
    const closing = await OnnxSegmenter.fromPack(models);
    await closing.close();
    await expect(closing.segment({ image: photo, classNames: CLASSES, adapter: null })).rejects.toMatchObject({ code: "worker.closed" });
  });
});

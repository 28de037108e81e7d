import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ModelPack, openModelPack, parsePreprocessorConfig, requireSegmenter } from "@semla/models";
import { readFloatNpy, readInt64Npy, readTorchExportJson, torchExportFile, writeTorchExportPack } from "@semla/models/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preprocessImage } from "../preprocess/clip.js";
import { createOrtSession } from "../runtime/ort.js";
import { ClassTextEncoder } from "../segment/class-text.js";
import { OnnxSegmenter } from "../segment/segmenter.js";
import { l2NormalizedRows, relativeError } from "../testing/arrays.js";
import { ClipEmbedder } from "../workers/embedder.js";
import { OrtWorkerPool } from "../workers/pool.js";
import { checkModelPack } from "./check-pack.js";

// Exports made by another tool (torch.onnx.export, packages/models/fixtures/torch-export, README
// there), packed unchanged, against the values torch computed for them.

describe("a model pack of torch exports", () => {
  let dir: string;
  let pack: ModelPack;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-torch-pack-"));
    await writeTorchExportPack(dir);
    pack = await openModelPack(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("opens unchanged: the preprocessing read from preprocessor_config.json, the tokenizer from tokenizer.json", () => {
    expect(pack.imageEncoder.preprocessing).toEqual({
      resize: { shortestEdge: 32 },
      resample: "bicubic",
      crop: { height: 32, width: 32 },
      rescaleFactor: 0.00392156862745098,
      normalize: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
    });
    expect(pack.textEncoder).toMatchObject({ kind: "onnx", dimension: 16, inputs: { attentionMask: { name: "attention_mask", type: "int64" } }, templates: ["{}"] });
    expect(pack.segmenter).toMatchObject({ imageSize: 32, loraModules: [] });
  });

  it("passes models check: each export runs on its probe with the promised shapes", async () => {
    const checks = await checkModelPack(pack);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.role === "segmenter" && c.check === "probe")?.detail).toBe("logits [1, 2, 8, 8] for one 32×32 image and 2 classes (expected [1, 2, h, w]); 0 LoRA modules fed");
  });

  it("embeds images as torch does (≤ 1e-4 relative), L2-normalised by the embedder", async () => {
    const pixels = await readFloatNpy("vision-pixels.npy");
    const expected = await readFloatNpy("vision-image-embeds.npy");
    const session = await createOrtSession(pack.imageEncoder.path);
    const raw = await session.run({ pixel_values: { type: "float32", data: pixels.data, dims: pixels.shape } });
    await session.release();
    expect(raw.image_embeds!.dims).toEqual([2, 16]);
    expect(relativeError(raw.image_embeds!.data, expected.data)).toBeLessThan(1e-4);

    const embedder = await ClipEmbedder.fromPack(pack, { workers: 1 });
    try {
      const plane = 3 * 32 * 32;
      const embeddings = await embedder.embedPreprocessed([pixels.data.slice(0, plane), pixels.data.slice(plane)]);
      const joined = new Float32Array(32);
      for (const [i, e] of embeddings.entries()) joined.set(e, i * 16);
      expect(relativeError(joined, l2NormalizedRows(expected.data, 16))).toBeLessThan(1e-4);
    } finally {
      await embedder.close();
    }
  });

  it("preprocesses image.png as CLIPImageProcessor does: square and non-square crops, shrinking (libvips) and enlarging (PIL's algorithm, exact)", async () => {
    // Shrinking runs on sharp: its cubic kernel is PIL's BICUBIC (Catmull-Rom, support scaled), but
    // libvips rounds its passes differently: measured here, 2 grey levels at most for the 32×32 crop
    // and 7 at one edge pixel of the 24×36 one, 0.0003 and 0.0008 on average (normalised units).
    // Enlarging runs PIL's own algorithm in JS: the same bytes, so the same float32 values.
    const png = new Uint8Array(await readFile(torchExportFile("image.png")));
    for (const [config, npy, shape, maxLevels, meanError] of [
      ["preprocessor_config.json", "image-pixels.npy", [1, 3, 32, 32], 2.5, 5e-4],
      ["preprocessor_config.noncrop.json", "image-pixels.noncrop.npy", [1, 3, 24, 36], 7.5, 1.5e-3],
      ["preprocessor_config.enlarge.json", "image-pixels.enlarge.npy", [1, 3, 56, 60], 0, 0],
    ] as const) {
      const preprocessing = parsePreprocessorConfig(JSON.parse(await readFile(torchExportFile(config), "utf8")), { file: config });
      const got = await preprocessImage(png, preprocessing);
      const want = await readFloatNpy(npy);
      expect(want.shape).toEqual(shape);
      expect([1, 3, got.height, got.width]).toEqual(shape);
      const std = preprocessing.normalize!.std;
      const plane = got.width * got.height;
      let worst = 0;
      let sum = 0;
      for (let i = 0; i < want.data.length; i++) {
        const d = Math.abs((got.data[i] as number) - (want.data[i] as number));
        worst = Math.max(worst, d * (std[Math.floor(i / plane)] as number) * 255);
        sum += d;
      }
      expect(worst, config).toBeLessThanOrEqual(maxLevels);
      expect(sum / want.data.length, config).toBeLessThanOrEqual(meanError);
    }
  });

  it("embeds class names as torch does: the tokenizer's ids through the text export (≤ 1e-4 relative)", async () => {
    const expected = await readFloatNpy("text-embeds.npy");
    const ids = await readInt64Npy("text-input-ids.npy");
    const mask = await readInt64Npy("text-attention-mask.npy");
    const session = await createOrtSession((pack.textEncoder as { path: string }).path);
    const raw = await session.run({ input_ids: { type: "int64", data: ids.data, dims: ids.shape }, attention_mask: { type: "int64", data: mask.data, dims: mask.shape } });
    await session.release();
    expect(relativeError(raw.text_embeds!.data, expected.data)).toBeLessThan(1e-4);

    // The same through the pack: its tokenizer, its text encoder, one template ("{}"), normalised rows.
    const { textEncoder } = requireSegmenter(pack);
    const pool = await OrtWorkerPool.create({ models: { text: (textEncoder as { path: string }).path }, workers: 1 });
    try {
      const text = new ClassTextEncoder(pool, "text", textEncoder);
      const prompts = await readTorchExportJson<string[]>("text-prompts.json");
      const embedded = await text.embed(prompts);
      expect(embedded.dimension).toBe(16);
      expect(relativeError(embedded.data, l2NormalizedRows(expected.data, 16))).toBeLessThan(1e-4);
    } finally {
      await pool.close();
    }
  });

  it("averages a class over its templates and renormalises, as open-vocabulary segmenters do", async () => {
    const templates = ["a photo of a {}.", "the {}"];
    const { textEncoder } = requireSegmenter(pack);
    const pool = await OrtWorkerPool.create({ models: { text: (textEncoder as { path: string }).path }, workers: 1 });
    try {
      const single = new ClassTextEncoder(pool, "text", textEncoder);
      const prompts = (await single.embed(["a photo of a car.", "the car"])).data;
      const mean = prompts.subarray(0, 16).map((v, j) => v + (prompts[16 + j] as number));
      const averaged = new ClassTextEncoder(pool, "text", { ...textEncoder, templates } as typeof textEncoder);
      const car = await averaged.embed(["car"]);
      expect(relativeError(car.data, l2NormalizedRows(mean, 16))).toBeLessThan(1e-6);
    } finally {
      await pool.close();
    }
  });

  it("segments as torch does: the export's logits (≤ 1e-4 relative), and a mask over the whole image from its 8×8 logits", async () => {
    const pixels = await readFloatNpy("segmenter-pixels.npy");
    const text = await readFloatNpy("segmenter-text-embeds.npy");
    const expected = await readFloatNpy("segmenter-logits.npy");
    const session = await createOrtSession(pack.segmenter!.path);
    const raw = await session.run({ pixel_values: { type: "float32", data: pixels.data, dims: pixels.shape }, text_embeds: { type: "float32", data: text.data, dims: text.shape } });
    await session.release();
    expect(raw.logits!.dims).toEqual([1, 3, 8, 8]);
    expect(relativeError(raw.logits!.data, expected.data)).toBeLessThan(1e-4);

    const segmenter = await OnnxSegmenter.fromPack(pack, { workers: 1 });
    try {
      const result = await segmenter.segment({ image: new Uint8Array(await readFile(torchExportFile("image.png"))), classNames: ["road", "sky", "car"], adapter: null });
      expect([result.width, result.height]).toEqual([61, 47]);
      expect(result.scores.reduce((sum, s) => sum + s.pixelFraction, 0)).toBeCloseTo(1, 9);
    } finally {
      await segmenter.close();
    }
  });
});

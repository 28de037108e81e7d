import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT, TEXT_ENCODER_ATTENTION_MASK, TEXT_ENCODER_INPUT_IDS, TEXT_ENCODER_OUTPUT } from "@semla/models";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preprocessClip } from "../preprocess/clip.js";
import { ImageError } from "../preprocess/errors.js";
import { createOrtSession } from "../runtime/ort.js";
import { encodeRaw, noiseRgb, solidImage } from "../testing/images.js";
import { tinyModelFiles } from "../testing/tiny-models.js";
import { ClipEmbedder, type ClipImageConfig } from "./embedder.js";
import { OrtWorkerPool } from "./pool.js";

let models: Awaited<ReturnType<typeof tinyModelFiles>>;
let embedder: ClipEmbedder;
let image: ClipImageConfig;
const images: Uint8Array[] = [];

beforeAll(async () => {
  models = await tinyModelFiles();
  const config = models.configs.clipVision;
  image = { imageSize: config.imageSize, imageMean: config.imageMean, imageStd: config.imageStd };
  embedder = await ClipEmbedder.create({ modelPath: models.paths.clipVision, image, intraOpThreads: 1 });
  images.push(
    await solidImage(40, 30, [200, 30, 60]),
    await encodeRaw(noiseRgb(64, 48, 1), 64, 48, 3, "png"),
    await encodeRaw(noiseRgb(30, 90, 2), 30, 90, 3, "jpeg"),
    await encodeRaw(noiseRgb(50, 50, 3), 50, 50, 3, "webp"),
    await solidImage(33, 33, [0, 128, 255], "jpeg"),
  );
});

afterAll(async () => {
  await embedder?.close();
  await models?.remove();
});

const norm = (v: Float32Array) => Math.hypot(...v);

function expectClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  expect(worst).toBeLessThan(tolerance);
}

describe("ClipEmbedder", () => {
  it("probes the embedding dimension and returns unit-norm embeddings, one per image", async () => {
    expect(embedder.dimension).toBe(16);
    expect(embedder.imageSize).toBe(32);
    const embeddings = await embedder.embed(images.slice(0, 3));
    expect(embeddings).toHaveLength(3);
    for (const e of embeddings) {
      expect(e).toBeInstanceOf(Float32Array);
      expect(e.length).toBe(16);
      expect(Math.abs(norm(e) - 1)).toBeLessThan(1e-6);
    }
    expect(embeddings[0]).not.toEqual(embeddings[1]);
  });

  it("equals the CLIP preprocessing + session run on the main thread, normalised", async () => {
    const session = await createOrtSession(models.paths.clipVision, { intraOpThreads: 1 });
    const pixels = await preprocessClip(images[1]!, { size: 32 });
    const embeds = (await session.run({ [CLIP_VISION_INPUT]: { type: "float32", data: pixels, dims: [1, 3, 32, 32] } }))[CLIP_VISION_OUTPUT];
    await session.release();
    const raw = embeds!.data;
    const n = norm(raw);
    const [viaWorker] = await embedder.embed([images[1]!]);
    expectClose(
      viaWorker!,
      raw.map((v) => v / n),
    );
  });

  it("gives the same embeddings batched, one by one, and split into smaller batches", async () => {
    const batched = await embedder.embed(images);
    const single = await Promise.all(images.map(async (i) => (await embedder.embed([i]))[0]!));
    const small = await ClipEmbedder.create({ modelPath: models.paths.clipVision, image, maxBatch: 2, dimension: 16 });
    try {
      const split = await small.embed(images);
      batched.forEach((e, i) => {
        expectClose(e, single[i]!);
        expectClose(e, split[i]!);
      });
    } finally {
      await small.close();
    }
    expect(await embedder.embed([])).toEqual([]);
  });

  it("keeps the raw projection with normalize: false", async () => {
    const raw = await ClipEmbedder.create({ modelPath: models.paths.clipVision, image, normalize: false });
    try {
      const [r] = await raw.embed([images[2]!]);
      const [u] = await embedder.embed([images[2]!]);
      expect(Math.abs(norm(r!) - 1)).toBeGreaterThan(1e-3);
      expectClose(
        u!,
        r!.map((v) => v / norm(r!)),
      );
    } finally {
      await raw.close();
    }
  });

  it("names the bad image of a batch", async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: "red" } })
      .gif()
      .toBuffer();
    const error = await embedder.embed([images[0]!, gif]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({
      code: "image.unsupported-format",
      message: "image 1: GIF images are not accepted: send JPEG, PNG or WebP",
      details: { index: 1, format: "gif" },
    });
  });

  it("refuses a model without pixel_values → image_embeds, naming what is missing", async () => {
    const pool = await OrtWorkerPool.create({ models: { "clip-vision": models.paths.textEncoder } });
    try {
      const error = await ClipEmbedder.create({ pool, image }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "worker.model-interface",
        message:
          `model clip-vision lacks input ${CLIP_VISION_INPUT}, output ${CLIP_VISION_OUTPUT} ` +
          `(it has inputs [${TEXT_ENCODER_INPUT_IDS}, ${TEXT_ENCODER_ATTENTION_MASK}], outputs [${TEXT_ENCODER_OUTPUT}])`,
      });
    } finally {
      await pool.close();
    }
  });

  it("runs on a shared pool, which it leaves open", async () => {
    const pool = await OrtWorkerPool.create({ models: { clip: models.paths.clipVision } });
    try {
      const shared = await ClipEmbedder.create({ pool, model: "clip", image, dimension: 16 });
      const [e] = await shared.embed([images[0]!]);
      expectClose(e!, (await embedder.embed([images[0]!]))[0]!);
      await shared.close();
      expect((await pool.run("clip", { [CLIP_VISION_INPUT]: { type: "float32", data: new Float32Array(3072), dims: [1, 3, 32, 32] } })).outputs[CLIP_VISION_OUTPUT]!.dims).toEqual([1, 16]);
    } finally {
      await pool.close();
    }
  });

  it("is configured from its pack's manifest by fromPack", async () => {
    const fromFiles = await ClipEmbedder.fromPack(models);
    try {
      expect([fromFiles.dimension, fromFiles.imageSize]).toEqual([16, 32]);
      const [e] = await fromFiles.embed([images[3]!]);
      expectClose(e!, (await embedder.embed([images[3]!]))[0]!);
    } finally {
      await fromFiles.close();
    }
  });

  it("wants exactly one of modelPath and pool", async () => {
    await expect(ClipEmbedder.create({ image })).rejects.toThrow("give the CLIP vision model as exactly one of modelPath or pool");
  });
});

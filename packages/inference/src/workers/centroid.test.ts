import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LIMITS } from "@semla/core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageError } from "../preprocess/errors.js";
import { encodeRaw, noiseRgb, pngHeaderOnly, solidImage } from "../testing/images.js";
import { tinyModelFiles } from "../testing/tiny-models.js";
import { CentroidError, type CentroidProgress, centroidOfImages } from "./centroid.js";
import { ClipEmbedder, type StagedEmbedder } from "./embedder.js";
import type { ImageFile } from "./image-files.js";

let models: Awaited<ReturnType<typeof tinyModelFiles>>;
let embedder: ClipEmbedder;
let folder: string;
const good: ImageFile[] = [];
const bad: ImageFile[] = [];

beforeAll(async () => {
  models = await tinyModelFiles();
  const { imageSize, imageMean, imageStd } = models.configs.clipVision;
  embedder = await ClipEmbedder.create({ modelPath: models.paths.clipVision, image: { imageSize, imageMean, imageStd } });
  good.push(
    { name: "a.png", bytes: await solidImage(40, 30, [200, 30, 60]) },
    { name: "c.jpg", bytes: await encodeRaw(noiseRgb(64, 48, 1), 64, 48, 3, "jpeg") },
    { name: "e.webp", bytes: await encodeRaw(noiseRgb(30, 90, 2), 30, 90, 3, "webp") },
  );
  bad.push(
    { name: "b.txt", bytes: new TextEncoder().encode("not an image") },
    {
      name: "d.gif",
      bytes: await sharp({ create: { width: 4, height: 4, channels: 3, background: "red" } })
        .gif()
        .toBuffer(),
    },
  );
  folder = await mkdtemp(path.join(tmpdir(), "semla-centroid-"));
  for (const f of [...good, ...bad]) await writeFile(path.join(folder, f.name), f.bytes);
  await writeFile(path.join(folder, ".DS_Store"), "hidden");
  await mkdir(path.join(folder, "nested"));
});

afterAll(async () => {
  await embedder?.close();
  await models?.remove();
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function* stream(files: readonly ImageFile[]): AsyncGenerator<ImageFile> {
  for (const f of files) yield f;
}

function mean(vectors: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0]!.length);
  for (let i = 0; i < out.length; i++) out[i] = vectors.reduce((s, v) => s + (v[i] as number), 0) / vectors.length;
  return out;
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  expect(actual.length).toBe(expected.length);
  expect(worst).toBeLessThan(1e-6);
}

describe("centroidOfImages", () => {
  it("averages the embeddings of a stream in batches, skipping and reporting what is not an image", async () => {
    const progress: CentroidProgress[] = [];
    const files = [good[0]!, bad[0]!, good[1]!, bad[1]!, good[2]!];
    const result = await centroidOfImages(embedder, stream(files), { batchSize: 2, onProgress: (p) => progress.push(p) });
    expect(result.count).toBe(3);
    expectClose(result.centroid, mean(await embedder.embed(good.map((f) => f.bytes))));
    expect(result.skipped).toEqual([
      { name: "b.txt", code: "image.undecodable", reason: "Not an image this service can read: expected JPEG, PNG or WebP" },
      { name: "d.gif", code: "image.unsupported-format", reason: "GIF images are not accepted: send JPEG, PNG or WebP" },
    ]);
    expect(progress).toEqual([
      { processed: 2, embedded: 1, skipped: 1 },
      { processed: 4, embedded: 2, skipped: 2 },
      { processed: 5, embedded: 3, skipped: 2 },
    ]);
  });

  it("reads a folder's files in name order, one at a time, ignoring hidden files and sub-folders", async () => {
    const fromFolder = await centroidOfImages(embedder, folder, { batchSize: 4 });
    const fromList = await centroidOfImages(
      embedder,
      [...good, ...bad].sort((x, y) => (x.name < y.name ? -1 : 1)),
      { batchSize: 4 },
    );
    expect(fromFolder.count).toBe(3);
    expect(fromFolder.skipped.map((s) => s.name)).toEqual(["b.txt", "d.gif"]);
    expect(Array.from(fromFolder.centroid)).toEqual(Array.from(fromList.centroid));
  });

  it("fails when no file could be embedded, and on an empty source", async () => {
    const error = await centroidOfImages(embedder, stream(bad)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CentroidError);
    expect(error).toMatchObject({ code: "embed.no-images", message: "none of the 2 files could be embedded", details: { seen: 2 } });
    await expect(centroidOfImages(embedder, [])).rejects.toMatchObject({ code: "embed.no-images", message: "no images to embed: the source is empty" });
  });

  it("strict: the first unusable image refuses the run with its own error, naming the image (a too-large one is image.too-large, not embed.no-images)", async () => {
    const strip = { name: "strip.png", bytes: pngHeaderOnly(39_000_000, 1, { idat: false }) };
    const alone = await centroidOfImages(embedder, [strip], { strict: true }).catch((e: unknown) => e);
    expect(alone).toBeInstanceOf(ImageError);
    expect(alone).toMatchObject({
      code: "image.too-large",
      kind: "too-large",
      message: `sample image strip.png: Image is 39000000×1: its width 39000000 is over the limit of ${LIMITS.imageSide} pixels`,
      details: { rule: "too-large", image: "strip.png", width: 39_000_000, height: 1, side: "width", limit: LIMITS.imageSide },
    });
    await expect(centroidOfImages(embedder, [good[0]!, bad[0]!], { strict: true })).rejects.toMatchObject({ code: "image.undecodable", details: { image: "b.txt" } });
    // Without strict the same image is skipped and reported.
    await expect(centroidOfImages(embedder, [strip])).rejects.toMatchObject({ code: "embed.no-images", details: { skipped: [{ name: "strip.png", code: "image.too-large" }] } });
  });

  it("streams: never more than two batches ahead of the embeddings", async () => {
    let pulled = 0;
    let embedded = 0;
    let worstAhead = 0;
    const fake: StagedEmbedder = {
      dimension: 2,
      embed: () => Promise.reject(new Error("unused")),
      preprocess: async (bytes) => Float32Array.of(bytes[0] as number, 1),
      embedPreprocessed: async (pixels) => {
        await new Promise((r) => setTimeout(r, 1));
        embedded += pixels.length;
        return pixels.map((p) => p.slice());
      },
    };
    async function* many(): AsyncGenerator<ImageFile> {
      for (let i = 0; i < 100; i++) {
        worstAhead = Math.max(worstAhead, pulled - embedded);
        pulled++;
        yield { name: `${i}`, bytes: Uint8Array.of(i) };
      }
    }
    const result = await centroidOfImages(fake, many(), { batchSize: 5 });
    expect(result.count).toBe(100);
    expect(Array.from(result.centroid)).toEqual([49.5, 1]);
    expect(worstAhead).toBeLessThanOrEqual(10);
  });

  it("propagates errors other than bad images (an inference failure fails the run)", async () => {
    const failing: StagedEmbedder = {
      dimension: 2,
      embed: () => Promise.reject(new Error("unused")),
      preprocess: async (bytes) => {
        if (bytes[0] === 1) throw new ImageError("undecodable", "bad");
        return Float32Array.of(0, 0);
      },
      embedPreprocessed: () => Promise.reject(new Error("worker died")),
    };
    const files = [0, 1, 0, 0].map((b, i) => ({ name: `${i}`, bytes: Uint8Array.of(b) }));
    await expect(centroidOfImages(failing, files, { batchSize: 1 })).rejects.toThrow("worker died");
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(centroidOfImages(embedder, good, { signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});

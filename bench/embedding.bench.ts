/**
 * Embedding benchmark on the generated ViT-B/16 CLIP vision model (random weights, real size):
 * - CLIP preprocessing (sharp decode + resize + crop + normalise) of a 1920×1080 JPEG next to the
 *   ViT-B/16 embedding of the same image, measured in the same run (target ≤ 10 %);
 * - ViT-B/16 latency with 1 and 2 intra-op threads (inference in a worker thread);
 * - the longest event-loop stall of an HTTP server embedding on request (target ≤ 20 ms), next to
 *   the same inference run on the main thread.
 */

import { table } from "@semla/cli/format";
import { createPrng } from "@semla/core";
import { ClipEmbedder, createOrtSession, preprocessClip } from "@semla/inference";
import { CLIP_VISION_INPUT, defaultModelDir, ensureGeneratedPack, generatedConfigs } from "@semla/models";
import sharp from "sharp";
import { measureServerStall } from "./server-stall.js";
import { median, percentile, writeResult } from "./stats.js";

/**
 * A 1920×1080 JPEG (quality 90). "photo": smooth gradients, spatially correlated texture and mild
 * sensor noise (σ ≈ 2 levels), the size of a camera frame (~0.3-0.5 MB). "noise": independent
 * noise of ±28 levels on every sample, the worst case for the entropy decoder (~0.85 MB).
 */
async function testJpeg(kind: "photo" | "noise"): Promise<Uint8Array> {
  const width = 1920;
  const height = 1080;
  const random = createPrng(5, kind);
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const texture = kind === "photo" ? 30 * Math.sin(x / 37) * Math.cos(y / 23) + 20 * Math.sin((x + 2 * y) / 11) : 0;
      for (let c = 0; c < 3; c++) {
        const base = c === 0 ? (x / width) * 180 : c === 1 ? (y / height) * 180 : ((x + y) / (width + height)) * 180;
        const noise = kind === "photo" ? 2 * random.normal() : (random.next() - 0.5) * 56;
        rgb[i + c] = Math.max(0, Math.min(255, 40 + base + texture + noise));
      }
    }
  }
  return new Uint8Array(
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
}

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

const files = await ensureGeneratedPack(defaultModelDir("b16"), "b16");
const vision = generatedConfigs(files)!.clipVision;
const jpeg = await testJpeg("photo");
const noisyJpeg = await testJpeg("noise");
const RUNS = 20;

const preprocessTimes = await timed(RUNS, () => preprocessClip(jpeg, { size: vision.imageSize }));
const noisyPreprocessTimes = await timed(RUNS, () => preprocessClip(noisyJpeg, { size: vision.imageSize }));
const pixels = await preprocessClip(jpeg, { size: vision.imageSize });

const latency: Record<number, number[]> = {};
for (const threads of [1, 2]) {
  const embedder = await ClipEmbedder.fromPack(files, { workers: 1, intraOpThreads: threads });
  latency[threads] = await timed(RUNS, () => embedder.embedPreprocessed([pixels.slice()]));
  await embedder.close();
}

const embedder = await ClipEmbedder.fromPack(files, { workers: 1, intraOpThreads: 2 });
const inWorker = await measureServerStall(() => embedder.embed([jpeg]), 10);
await embedder.close();
const session = await createOrtSession(files.imageEncoder.path, { intraOpThreads: 2 });
const onMainThread = await measureServerStall(() => session.run({ [CLIP_VISION_INPUT]: { type: "float32", data: pixels.slice(), dims: [1, 3, vision.imageSize, vision.imageSize] } }), 10);
await session.release();

const pre = median(preprocessTimes);
const embed2 = median(latency[2]!);
console.log(`CLIP ViT-B/16 (generated, ${(files.imageEncoder.bytes / 1e6).toFixed(0)} MB, random weights) on this machine, median of ${RUNS}\n`);
console.log(
  table(
    ["operation", "median ms", "p99 ms", "share of embedding", "target"],
    [
      [
        `decode + CLIP preprocess, 1920x1080 photo JPEG (${(jpeg.byteLength / 1e3).toFixed(0)} kB)`,
        pre.toFixed(1),
        percentile(
          [...preprocessTimes].sort((a, b) => a - b),
          99,
        ).toFixed(1),
        `${((pre / embed2) * 100).toFixed(1)} %`,
        "≤ 10 %",
      ],
      [
        `same, worst-case noise JPEG (${(noisyJpeg.byteLength / 1e3).toFixed(0)} kB)`,
        median(noisyPreprocessTimes).toFixed(1),
        percentile(
          [...noisyPreprocessTimes].sort((a, b) => a - b),
          99,
        ).toFixed(1),
        `${((median(noisyPreprocessTimes) / embed2) * 100).toFixed(1)} %`,
        "",
      ],
      [
        "ViT-B/16 embedding, 2 threads (worker) (baseline)",
        embed2.toFixed(1),
        percentile(
          [...latency[2]!].sort((a, b) => a - b),
          99,
        ).toFixed(1),
        "100 %",
        "",
      ],
      [
        "ViT-B/16 embedding, 1 thread (worker)",
        median(latency[1]!).toFixed(1),
        percentile(
          [...latency[1]!].sort((a, b) => a - b),
          99,
        ).toFixed(1),
        `${((median(latency[1]!) / embed2) * 100).toFixed(0)} %`,
        "",
      ],
    ],
  ),
);
console.log("\nEvent loop of an HTTP server embedding 10 images while a client pings it");
console.log(
  table(
    ["where inference runs", "longest stall ms", "stall p99 ms", "ping p99 ms (other process)", "pings", "target"],
    [
      ["worker thread (ClipEmbedder)", inWorker.maxStallMs.toFixed(1), inWorker.p99StallMs.toFixed(1), inWorker.pingP99Ms.toFixed(1), String(inWorker.pings), "≤ 20 ms"],
      ["main thread (for contrast)", onMainThread.maxStallMs.toFixed(1), onMainThread.p99StallMs.toFixed(1), onMainThread.pingP99Ms.toFixed(1), String(onMainThread.pings), ""],
    ],
  ),
);
await writeResult("embedding", {
  jpegBytes: jpeg.byteLength,
  noisyJpegBytes: noisyJpeg.byteLength,
  preprocessTimes,
  noisyPreprocessTimes,
  latency,
  inWorker,
  onMainThread,
  modelBytes: files.imageEncoder.bytes,
});

/**
 * Model-pack benchmark (issue 13), every number next to the ViT-B/16 image embedding of one image
 * measured in the same run:
 * - cold start from the bucket with a ViT-B/16-sized pack (the generated b16 preset: CLIP ViT-B/16,
 *   the base text encoder, the small segmenter): copying the objects to /tmp, verifying every file's
 *   sha256 against the manifest, and loading the image encoder's session;
 * - class-name embedding through the pack's text encoder for 8 and 150 names (ADE20K's count), with
 *   a cold cache (every name through the model) and a warm one (every name cached), and with 1 and
 *   7 prompt templates (what open-vocabulary segmenters average over).
 */

import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { table } from "@semla/cli/format";
import { ClassTextEncoder, ClipEmbedder, OrtWorkerPool } from "@semla/inference";
import { defaultModelDir, ensureGeneratedPack, requireSegmenter, type TextEncoderSpec } from "@semla/models";
import { locateModels, openStore } from "@semla/service";
import sharp from "sharp";
import { startS3Server } from "../test/setup/s3.js";
import { median, writeResult } from "./stats.js";

process.env.AWS_ACCESS_KEY_ID ??= "S3RVER";
process.env.AWS_SECRET_ACCESS_KEY ??= "S3RVER";

const RUNS = 5;
const pack = await ensureGeneratedPack(defaultModelDir("b16"), "b16");
const s3 = await startS3Server();
const store = openStore({ kind: "s3", bucket: "semla-test", region: "us-east-1", endpoint: s3.endpoint })!;
const prefix = "models/b16/";

let packBytes = 0;
for (const name of await readdir(pack.dir)) {
  const bytes = new Uint8Array(await readFile(path.join(pack.dir, name)));
  packBytes += bytes.byteLength;
  await store.put(`${prefix}${name}`, bytes);
}

// Cold start: locateModels copies and verifies (its log line carries both times), then the session loads.
const cold: { copyMs: number; verifyMs: number; loadMs: number }[] = [];
for (let run = 0; run < 3; run++) {
  let fields: Record<string, unknown> = {};
  const located = await locateModels({
    store,
    prefix,
    log: (_message, f) => {
      fields = f ?? {};
    },
  });
  const started = performance.now();
  const embedder = await ClipEmbedder.fromPack(located, { workers: 1, intraOpThreads: 2 });
  cold.push({ copyMs: fields.copyMs as number, verifyMs: fields.verifyMs as number, loadMs: performance.now() - started });
  await embedder.close();
  await rm(located.dir, { recursive: true, force: true });
}

// The baseline: one ViT-B/16 embedding of a 640×480 image (decode + preprocess + inference).
const embedder = await ClipEmbedder.fromPack(pack, { workers: 1, intraOpThreads: 2 });
const photo = new Uint8Array(
  await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 140, b: 60 } } })
    .jpeg()
    .toBuffer(),
);
for (let i = 0; i < 3; i++) await embedder.embed([photo]);
const embedTimes: number[] = [];
for (let i = 0; i < RUNS * 2; i++) {
  const t = performance.now();
  await embedder.embed([photo]);
  embedTimes.push(performance.now() - t);
}
await embedder.close();
const embedMs = median(embedTimes);

// Class names through the text encoder: cold (a fresh cache each run) and warm (the same names again).
const { textEncoder } = requireSegmenter(pack);
const onnxText = textEncoder as Extract<TextEncoderSpec, { kind: "onnx" }>;
const pool = await OrtWorkerPool.create({ models: { text: onnxText.path }, workers: 1, intraOpThreads: 2 });
const TEMPLATES = ["a photo of a {}.", "a photo of the {}.", "a bad photo of a {}.", "a photo of a small {}.", "a photo of a large {}.", "a cropped photo of the {}.", "a close-up photo of a {}."];
const names = (n: number) => Array.from({ length: n }, (_, i) => `class ${i} ${["road", "sky", "car", "person", "building"][i % 5]}`);
const textRows: { names: number; templates: number; coldMs: number; warmMs: number }[] = [];
for (const count of [8, 150]) {
  for (const templates of [["{}"], TEMPLATES]) {
    const spec = { ...onnxText, templates };
    const coldTimes: number[] = [];
    const warmTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const text = new ClassTextEncoder(pool, "text", spec);
      let t = performance.now();
      await text.embed(names(count));
      coldTimes.push(performance.now() - t);
      t = performance.now();
      await text.embed(names(count));
      warmTimes.push(performance.now() - t);
    }
    textRows.push({ names: count, templates: templates.length, coldMs: median(coldTimes), warmMs: median(warmTimes) });
  }
}
await pool.close();
await s3.close();

const ratio = (ms: number) => `${(ms / embedMs).toFixed(2)}×`;
const coldMedian = { copyMs: median(cold.map((c) => c.copyMs)), verifyMs: median(cold.map((c) => c.verifyMs)), loadMs: median(cold.map((c) => c.loadMs)) };
console.log(`Model packs: the generated b16 pack (${(packBytes / 1e6).toFixed(0)} MB) on this machine; baseline: one ViT-B/16 embedding = ${embedMs.toFixed(1)} ms (median of ${RUNS * 2})\n`);
console.log(
  table(
    ["cold start from the bucket (median of 3)", "ms", "× one embedding"],
    [
      ["copy the pack's objects to /tmp", coldMedian.copyMs.toFixed(0), ratio(coldMedian.copyMs)],
      ["verify every file's sha256", coldMedian.verifyMs.toFixed(0), ratio(coldMedian.verifyMs)],
      ["load the image encoder's session", coldMedian.loadMs.toFixed(0), ratio(coldMedian.loadMs)],
    ],
  ),
);
console.log(
  `\n${table(
    ["class names", "templates", "cold cache ms", "× one embedding", "warm cache ms", "× one embedding"],
    textRows.map((r) => [String(r.names), String(r.templates), r.coldMs.toFixed(1), ratio(r.coldMs), r.warmMs.toFixed(2), ratio(r.warmMs)]),
  )}`,
);
await writeResult("packs", { packBytes, embedMs, embedTimes, cold, textRows });

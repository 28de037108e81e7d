import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { bytesSource, fusion, type LoraAdapter, peft } from "@semla/core";
import { joinParts, type ModelPack, openModelPack, prepareBankSegmenter, preparePack, prepareTargets, stackLoraBank } from "@semla/models";
import { catsegExportFile, writeTorchExportPack } from "@semla/models/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxSegmenter } from "../segment/segmenter.js";
import { encodeRaw, noiseRgb } from "../testing/images.js";
import { BankSegmenter } from "./bank-segmenter.js";

// A bank session over the prepared CAT-Seg-shaped pack (fixtures/catseg-export) with the library
// [fog, night]: a batch of images, each with its own plan, against the plain segmenter serving each
// plan's cat-fused adapter.

const TARGETS = String.raw`.*resblocks\.\d\.(attn\.(q_proj|v_proj|out_proj)|mlp\.c_fc)|.*head\.proj`;
const CLASSES = ["road", "sky", "car"];

async function adapter(name: string): Promise<LoraAdapter> {
  const dir = catsegExportFile(name);
  return peft.readLoraAdapter({
    config: await readFile(path.join(dir, "adapter_config.json")),
    weights: bytesSource(new Uint8Array(await readFile(path.join(dir, "adapter_model.safetensors")))),
  });
}

describe("a bank session: one run for a batch of images with different plans", () => {
  let root: string;
  let pack: ModelPack;
  let plain: OnnxSegmenter;
  let bank: BankSegmenter;
  let library: LoraAdapter[];
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-bank-"));
    await writeTorchExportPack(path.join(root, "base"));
    const written = await preparePack({
      segmenter: catsegExportFile("segmenter.onnx"),
      targets: prepareTargets(TARGETS),
      from: path.join(root, "base"),
      out: path.join(root, "pack"),
      preprocessing: { resize: { height: 32, width: 32 }, resample: "bicubic", crop: null, rescaleFactor: 1 / 255, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
    });
    pack = await openModelPack(written.dir);
    library = [await adapter("adapter-fog"), await adapter("adapter-night")];
    plain = await OnnxSegmenter.fromPack(pack, { workers: 1 });
    const model = joinParts(prepareBankSegmenter(new Uint8Array(await readFile(pack.segmenter!.path)), stackLoraBank(library)).model);
    bank = await BankSegmenter.create({ segmenter: pack.segmenter!, model, size: library.length, text: plain.classText });
  });
  afterAll(async () => {
    await bank?.close();
    await plain?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("answers each image as the plain segmenter does with its plan's cat-fused adapter; a bad image or plan fails alone", async () => {
    const photo = new Uint8Array(await readFile(catsegExportFile("../torch-export/image.png")));
    const noise = await encodeRaw(noiseRgb(40, 30, 7), 40, 30, 3, "png");
    const a = { indices: [0, 1], weights: [0.7, 0.3] };
    const b = { indices: [1], weights: [2] };
    const results = await bank.segmentBatch(CLASSES, [
      { image: photo, plan: a },
      { image: new Uint8Array([1, 2, 3]), plan: a },
      { image: noise, plan: b },
      { image: photo, plan: { indices: [2], weights: [1] } },
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: "bank.plan", message: "index 2 is outside the bank of 2 adapters" });
    expect((results[1] as PromiseRejectedResult).reason.code).toMatch(/^image\./);
    const fused = (plan: { indices: number[]; weights: number[] }) =>
      fusion.fuseAdapters(
        plan.indices.map((i, j) => ({ adapter: library[i]!, weight: plan.weights[j]! })),
        { combination: "cat" },
      );
    for (const [index, image, plan] of [
      [0, photo, a],
      [2, noise, b],
    ] as const) {
      const got = (results[index] as PromiseFulfilledResult<Awaited<ReturnType<OnnxSegmenter["segment"]>>>).value;
      const expected = await plain.segment({ image, classNames: CLASSES, adapter: fused(plan) });
      expect([got.width, got.height]).toEqual([expected.width, expected.height]);
      expect(Buffer.from(got.maskPng).equals(Buffer.from(expected.maskPng))).toBe(true);
      got.scores.forEach((s, c) => {
        expect(s.className).toBe(expected.scores[c]!.className);
        expect(Math.abs(s.meanProbability - expected.scores[c]!.meanProbability)).toBeLessThan(1e-5);
        expect(s.pixelFraction).toBe(expected.scores[c]!.pixelFraction);
      });
    }
    // Alone, the noise image with plan b gives what it gave in the batch.
    const [alone] = await bank.segmentBatch(CLASSES, [{ image: noise, plan: b }]);
    expect((alone as PromiseFulfilledResult<{ scores: unknown }>).value.scores).toEqual((results[2] as PromiseFulfilledResult<{ scores: unknown }>).value.scores);
  });
});

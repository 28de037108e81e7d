import path from "node:path";
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_STD } from "../onnx/config.js";
import type { ModelPackManifestInput } from "../pack/manifest.js";
import { type ModelPack, openModelPack } from "../pack/open-pack.js";
import { writePackFile, writePackManifest } from "../pack/write-pack.js";
import { preparePack, prepareTargets } from "../surgery/index.js";
import { CATSEG_TARGETS, catsegExportFile, torchExportFile } from "./fixtures.js";

/**
 * The torch-made exports as a user would pack them: the files copied unchanged into `dir`, and a
 * manifest naming them with the Hugging Face preprocessor and tokenizer files (the segmenter is a
 * plain export: no LoRA inputs).
 */
export async function writeTorchExportPack(dir: string, edit: (manifest: ModelPackManifestInput) => ModelPackManifestInput = (m) => m): Promise<void> {
  const copy = (name: string) => writePackFile(dir, name, { copyFrom: torchExportFile(name) });
  const manifest: ModelPackManifestInput = {
    format: "semla-models",
    version: 1,
    name: "torch export fixture",
    imageEncoder: {
      id: "fixture/clip-vision-tiny",
      file: await copy("clip-vision.onnx"),
      dimension: 16,
      preprocessing: { huggingFace: await copy("preprocessor_config.json") },
    },
    textEncoder: {
      kind: "onnx",
      file: await copy("clip-text.onnx"),
      dimension: 16,
      tokenizer: { kind: "huggingface", file: await copy("tokenizer.json"), contextLength: 16 },
    },
    segmenter: {
      id: "fixture/segmenter-tiny",
      file: await copy("segmenter.onnx"),
      preprocessing: { resize: { height: 32, width: 32 }, resample: "bicubic", crop: null, rescaleFactor: 1 / 255, normalize: { mean: [...CLIP_IMAGE_MEAN], std: [...CLIP_IMAGE_STD] } },
    },
  };
  await writePackManifest(dir, edit(manifest));
}

/**
 * The CAT-Seg-shaped export made LoRA-ready as `semla models prepare` makes it, over the torch
 * export's encoders (`<root>/base`), at 32×32: `<root>/pack`, opened.
 */
export async function writePreparedCatsegPack(root: string): Promise<ModelPack> {
  await writeTorchExportPack(path.join(root, "base"));
  const written = await preparePack({
    segmenter: catsegExportFile("segmenter.onnx"),
    targets: prepareTargets(CATSEG_TARGETS),
    from: path.join(root, "base"),
    out: path.join(root, "pack"),
    preprocessing: { resize: { height: 32, width: 32 }, resample: "bicubic", crop: null, rescaleFactor: 1 / 255, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
  });
  return openModelPack(written.dir);
}

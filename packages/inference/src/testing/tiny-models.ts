import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureGeneratedPack, generatedConfigs, type ModelPack, type onnx, requireSegmenter } from "@semla/models";

export interface TinyModels extends ModelPack {
  /** The generated configs (the builders' inputs), for tests that rebuild or probe the graphs. */
  readonly configs: onnx.ModelPreset;
  /** The three .onnx files, by the generator's names. */
  readonly paths: { readonly clipVision: string; readonly textEncoder: string; readonly segmentation: string };
  remove(): Promise<void>;
}

/** The tiny preset's three models generated as a pack into a fresh temporary folder (tests never download models). */
export async function tinyModelFiles(): Promise<TinyModels> {
  const dir = await mkdtemp(path.join(tmpdir(), "semla-tiny-models-"));
  const pack = await ensureGeneratedPack(dir, "tiny");
  const { segmenter, textEncoder } = requireSegmenter(pack);
  if (textEncoder.kind !== "onnx") throw new Error("the generated pack has an ONNX text encoder");
  return {
    ...pack,
    configs: generatedConfigs(pack) as onnx.ModelPreset,
    paths: { clipVision: pack.imageEncoder.path, textEncoder: textEncoder.path, segmentation: segmenter.path },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as onnx from "../onnx/index.js";
import type { ImagePreprocessing } from "../preprocessing/image-preprocessing.js";
import { TEXT_ENCODER_ATTENTION_MASK } from "../tensor-names.js";
import { MODEL_PACK_FORMAT, MODEL_PACK_MANIFEST, MODEL_PACK_VERSION, type ModelPackManifest, ModelPackManifestSchema, type PackFile } from "./manifest.js";
import { type ModelPack, openModelPack } from "./open-pack.js";
import { removePackManifest, writePackFile, writePackManifest } from "./write-pack.js";

/**
 * The generated models (no weights can be downloaded: the builders in onnx/ make them from a config
 * and a seed), written as a model pack like any other — one loading path for generated and real
 * models — into a cache folder that is never committed. A folder is reused when its manifest's
 * `generator` names the same generator version, preset, variant, configs and seeds and its files are
 * there; otherwise the models are rebuilt one at a time, each streamed to disk from its weights so a
 * ViT-B/16 (≈350 MB) is held in memory once, and the manifest is written last.
 */

export type ModelKey = "clipVision" | "textEncoder" | "segmentation";

export const MODEL_FILE_NAMES: Readonly<Record<ModelKey, string>> = {
  clipVision: "clip-vision.onnx",
  textEncoder: "text-encoder.onnx",
  segmentation: "segmentation.onnx",
};

/** Above this many bytes of weights, a model keeps them in `<file>.data` (protobuf stops at 2 GiB). */
export const EXTERNAL_DATA_THRESHOLD_BYTES = 1.5 * 2 ** 30;

/** A pack this process generated or found generated. */
export interface GeneratedPack extends ModelPack {
  /** Whether this call wrote the files (false: the folder already held matching ones). */
  readonly generated: boolean;
}

export interface EnsureGeneratedPackOptions {
  /** Also re-hash existing files against the manifest before trusting them (default: size check only). */
  readonly verifyHashes?: boolean;
  /** Models with more bytes of weights than this keep them in `<file>.data` (default EXTERNAL_DATA_THRESHOLD_BYTES). */
  readonly externalDataThresholdBytes?: number;
  /**
   * Graphs to write instead of the preset's (same configs and seeds, other weights: a fitted head),
   * named by `variant`: a folder is only reused when its manifest names the same variant.
   */
  readonly custom?: { readonly variant: string; readonly graphs: Partial<Record<ModelKey, () => onnx.Graph>> };
  /** The segmenter's id (the baseModelId of libraries of adapters for it); default `<preset>/segmentation@<sha256 prefix>`. */
  readonly segmenterId?: string;
}

/** `<repository>/.cache/models/<preset>` (.cache/ is git-ignored). */
export function defaultModelDir(preset: string): string {
  return fileURLToPath(new URL(`../../../../.cache/models/${preset}`, import.meta.url));
}

function resolvePreset(preset: onnx.ModelPresetName | onnx.ModelPreset): onnx.ModelPreset {
  if (typeof preset !== "string") return preset;
  if (!onnx.isModelPresetName(preset)) {
    throw new onnx.OnnxError("onnx.config-invalid", `unknown model preset ${JSON.stringify(preset)} (known: ${Object.keys(onnx.MODEL_PRESETS).join(", ")})`);
  }
  return onnx.MODEL_PRESETS[preset];
}

/** JSON with sorted keys: configs compare by value, whatever order their fields were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function generatorOf(preset: onnx.ModelPreset, variant: string | undefined): NonNullable<ModelPackManifest["generator"]> {
  return {
    version: onnx.MODEL_GENERATOR_VERSION,
    opset: onnx.ONNX_OPSET,
    preset: preset.name,
    ...(variant !== undefined && { variant }),
    seeds: { ...preset.seeds },
    configs: { clipVision: { ...preset.clipVision }, textEncoder: { ...preset.textEncoder }, segmentation: { ...preset.segmentation } },
  };
}

async function readGeneratedManifest(dir: string): Promise<ModelPackManifest | null> {
  try {
    const parsed = ModelPackManifestSchema.safeParse(JSON.parse(await readFile(path.join(dir, MODEL_PACK_MANIFEST), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function buildGraph(key: ModelKey, preset: onnx.ModelPreset): onnx.Graph {
  switch (key) {
    case "clipVision":
      return onnx.buildClipVision(preset.clipVision, preset.seeds.clipVision);
    case "textEncoder":
      return onnx.buildTextEncoder(preset.textEncoder, preset.seeds.textEncoder);
    case "segmentation":
      return onnx.buildSegmentationModel(preset.segmentation, preset.seeds.segmentation);
  }
}

async function generateModel(
  dir: string,
  key: ModelKey,
  preset: onnx.ModelPreset,
  externalThreshold: number,
  custom: EnsureGeneratedPackOptions["custom"],
): Promise<{ file: PackFile; externalData: PackFile[] }> {
  const graph = custom?.graphs[key]?.() ?? buildGraph(key, preset);
  const external = onnx.initializerBytes(graph) > externalThreshold;
  const encoded = onnx.encodeModelParts(graph, {
    producer: { name: "semla-serve", version: onnx.MODEL_GENERATOR_VERSION },
    metadata: { "semla.model": key, "semla.preset": preset.name, "semla.seed": String(preset.seeds[key]), "semla.config": JSON.stringify(preset[key]) },
    ...(external ? { externalData: { location: `${MODEL_FILE_NAMES[key]}.data` } } : {}),
  });
  // Data first: a model file is only ever next to complete weights.
  const externalData = encoded.externalData ? [await writePackFile(dir, encoded.externalData.location, encoded.externalData)] : [];
  const file = await writePackFile(dir, MODEL_FILE_NAMES[key], encoded.model);
  return { file, externalData };
}

/** CLIPImageProcessor's steps for a square encoder: shortest edge → center crop → rescale → normalise. */
function clipPreprocessing(config: onnx.ImageInputConfig): ImagePreprocessing {
  const side = config.imageSize;
  return {
    resize: { shortestEdge: side },
    resample: "bicubic",
    crop: { height: side, width: side },
    rescaleFactor: 1 / 255,
    normalize: { mean: [...config.imageMean], std: [...config.imageStd] },
  };
}

/** The segmenter sees the whole image: resized to its square input, no crop. */
function segmenterPreprocessing(config: onnx.ImageInputConfig): ImagePreprocessing {
  const side = config.imageSize;
  return { resize: { height: side, width: side }, resample: "bicubic", crop: null, rescaleFactor: 1 / 255, normalize: { mean: [...config.imageMean], std: [...config.imageStd] } };
}

/**
 * Makes sure `dir` holds the preset's three models as a pack, generating them when absent or when
 * the preset's configs, seeds, the variant or the generator version changed; returns the pack opened.
 */
export async function ensureGeneratedPack(dir: string, presetOrName: onnx.ModelPresetName | onnx.ModelPreset, options: EnsureGeneratedPackOptions = {}): Promise<GeneratedPack> {
  const preset = resolvePreset(presetOrName);
  onnx.validateModelPreset(preset);
  const root = path.resolve(dir);
  const variant = options.custom?.variant;
  const generator = generatorOf(preset, variant);
  const verify = options.verifyHashes ? "sha256" : "size";
  const existing = await readGeneratedManifest(root);
  if (existing?.generator && canonicalJson(existing.generator) === canonicalJson(generator)) {
    const wantedSegmenterId = options.segmenterId;
    if (wantedSegmenterId === undefined || existing.segmenter?.id === wantedSegmenterId) {
      try {
        return { ...(await openModelPack(root, { verify })), generated: false };
      } catch {
        // A file missing, or of another size (or sha256, when asked): generate again below.
      }
    }
  }

  await removePackManifest(root);
  // One model at a time: each graph's weights become garbage before the next is built.
  const threshold = options.externalDataThresholdBytes ?? EXTERNAL_DATA_THRESHOLD_BYTES;
  const clipVision = await generateModel(root, "clipVision", preset, threshold, options.custom);
  const textEncoder = await generateModel(root, "textEncoder", preset, threshold, options.custom);
  const segmentation = await generateModel(root, "segmentation", preset, threshold, options.custom);
  const tag = (file: PackFile) => file.sha256.slice(0, 16);
  await writePackManifest(root, {
    format: MODEL_PACK_FORMAT,
    version: MODEL_PACK_VERSION,
    name: `semla generated ${preset.name}${variant === undefined ? "" : ` (${variant})`}`,
    imageEncoder: {
      id: `${preset.name}/clip-vision@${tag(clipVision.file)}`,
      ...clipVision,
      dimension: preset.clipVision.projectionDim,
      preprocessing: clipPreprocessing(preset.clipVision),
    },
    textEncoder: {
      kind: "onnx",
      ...textEncoder,
      // The generated encoder takes a float32 mask (a standard export takes int64).
      inputs: { attentionMask: { name: TEXT_ENCODER_ATTENTION_MASK, type: "float32" } },
      dimension: preset.textEncoder.embedDim,
      tokenizer: { kind: "semla-hashed", vocabularySize: preset.textEncoder.vocabularySize, contextLength: preset.textEncoder.contextLength },
    },
    segmenter: {
      id: options.segmenterId ?? `${preset.name}/segmentation@${tag(segmentation.file)}`,
      ...segmentation,
      preprocessing: segmenterPreprocessing(preset.segmentation),
      loraModules: onnx.segmentationLoraModules(preset.segmentation).map((m) => ({ name: m.name, in: m.inFeatures, out: m.outFeatures })),
    },
    generator,
  });
  return { ...(await openModelPack(root, { verify: "size" })), generated: true };
}

/** The configs a generated pack was built from (its manifest's `generator`), or null for a pack made elsewhere. */
export function generatedConfigs(pack: ModelPack): onnx.ModelPreset | null {
  const generator = pack.manifest.generator;
  if (!generator) return null;
  const { configs, seeds, preset } = generator;
  return {
    name: preset,
    clipVision: configs.clipVision as unknown as onnx.ClipVisionConfig,
    textEncoder: configs.textEncoder as unknown as onnx.TextEncoderConfig,
    segmentation: configs.segmentation as unknown as onnx.SegmentationConfig,
    seeds: seeds as unknown as onnx.ModelPreset["seeds"],
  };
}

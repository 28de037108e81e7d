import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as onnx from "../onnx/index.js";

/**
 * The ONNX models the service runs, generated on demand (no weights can be downloaded: the builders in
 * onnx/ make them from a config and a seed) into a cache folder that is never committed. A folder is
 * reused when its models.json names the same generator version, configs and seeds and the files are
 * there; otherwise the models are rebuilt one at a time, each streamed to disk from its weights so a
 * ViT-B/16 (≈350 MB) is held in memory once, and the manifest is written last.
 */

export const MODELS_MANIFEST = "models.json";

export type ModelKey = "clipVision" | "textEncoder" | "segmentation";

export const MODEL_FILE_NAMES: Readonly<Record<ModelKey, string>> = {
  clipVision: "clip-vision.onnx",
  textEncoder: "text-encoder.onnx",
  segmentation: "segmentation.onnx",
};

/** Above this many bytes of weights, a model keeps them in `<file>.data` (protobuf stops at 2 GiB). */
export const EXTERNAL_DATA_THRESHOLD_BYTES = 1.5 * 2 ** 30;

export interface FileDigest {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ModelFileEntry<Config> extends FileDigest {
  readonly config: Config;
  readonly seed: number;
  /** The weights file when the model keeps its initializers outside the .onnx file. */
  readonly externalData: FileDigest | null;
}

export interface ModelsManifest {
  readonly generator: string;
  readonly opset: number;
  readonly preset: string;
  /** Names graphs given by the caller in place of the preset's random ones (e.g. fitted weights); absent for pure presets. */
  readonly variant?: string;
  readonly clipVision: ModelFileEntry<onnx.ClipVisionConfig>;
  readonly textEncoder: ModelFileEntry<onnx.TextEncoderConfig>;
  readonly segmentation: ModelFileEntry<onnx.SegmentationConfig>;
}

export interface ModelFiles {
  readonly dir: string;
  readonly manifest: ModelsManifest;
  /** Absolute paths of the .onnx files (load by path: external data is found beside them). */
  readonly paths: Readonly<Record<ModelKey, string>>;
  /** Whether this call wrote the files (false: the folder already held matching ones). */
  readonly generated: boolean;
}

export interface EnsureModelFilesOptions {
  /** Also re-hash existing files against the manifest before trusting them (default: size check only). */
  readonly verifyHashes?: boolean;
  /** Models with more bytes of weights than this keep them in `<file>.data` (default EXTERNAL_DATA_THRESHOLD_BYTES). */
  readonly externalDataThresholdBytes?: number;
  /**
   * Graphs to write instead of the preset's (same configs and seeds, other weights: a fitted head),
   * named by `variant`: a folder is only reused when its manifest names the same variant.
   */
  readonly custom?: { readonly variant: string; readonly graphs: Partial<Record<ModelKey, () => onnx.Graph>> };
}

/** Where the three models of a folder are. */
export function modelPaths(dir: string): Record<ModelKey, string> {
  return {
    clipVision: path.join(dir, MODEL_FILE_NAMES.clipVision),
    textEncoder: path.join(dir, MODEL_FILE_NAMES.textEncoder),
    segmentation: path.join(dir, MODEL_FILE_NAMES.segmentation),
  };
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

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function readManifest(dir: string): Promise<ModelsManifest | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, MODELS_MANIFEST), "utf8")) as ModelsManifest;
  } catch {
    return null;
  }
}

async function fileMatches(dir: string, digest: FileDigest, verifyHashes: boolean): Promise<boolean> {
  try {
    const file = path.join(dir, digest.file);
    if ((await stat(file)).size !== digest.bytes) return false;
    return !verifyHashes || (await sha256OfFile(file)) === digest.sha256;
  } catch {
    return false;
  }
}

const MODEL_KEYS: readonly ModelKey[] = ["clipVision", "textEncoder", "segmentation"];

/** Whether `manifest` describes exactly this preset's models and its files are present. */
async function manifestMatches(dir: string, manifest: ModelsManifest | null, preset: onnx.ModelPreset, verifyHashes: boolean, variant: string | undefined): Promise<boolean> {
  if (!manifest || manifest.generator !== onnx.MODEL_GENERATOR_VERSION || manifest.opset !== onnx.ONNX_OPSET) return false;
  if (manifest.variant !== variant) return false;
  for (const key of MODEL_KEYS) {
    const entry = manifest[key];
    if (!entry || entry.file !== MODEL_FILE_NAMES[key] || entry.seed !== preset.seeds[key]) return false;
    if (canonicalJson(entry.config) !== canonicalJson(preset[key])) return false;
    if (!(await fileMatches(dir, entry, verifyHashes))) return false;
    if (entry.externalData && !(await fileMatches(dir, entry.externalData, verifyHashes))) return false;
  }
  return true;
}

/** Writes parts to `file` through a temporary name (readers never see a half-written file), hashing them. */
async function writeParts(file: string, bytes: onnx.ByteParts): Promise<FileDigest> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  const hash = createHash("sha256");
  const handle = await open(temporary, "w");
  try {
    for (const part of bytes.parts) {
      hash.update(part);
      for (let written = 0; written < part.byteLength; ) {
        written += (await handle.write(part, written, part.byteLength - written)).bytesWritten;
      }
    }
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return { file: path.basename(file), bytes: bytes.byteLength, sha256: hash.digest("hex") };
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

async function generateModel<Config>(
  dir: string,
  key: ModelKey,
  preset: onnx.ModelPreset,
  config: Config,
  externalThreshold: number,
  custom: EnsureModelFilesOptions["custom"],
): Promise<ModelFileEntry<Config>> {
  const seed = preset.seeds[key];
  const file = path.join(dir, MODEL_FILE_NAMES[key]);
  const graph = custom?.graphs[key]?.() ?? buildGraph(key, preset);
  const external = onnx.initializerBytes(graph) > externalThreshold;
  const encoded = onnx.encodeModelParts(graph, {
    producer: { name: "semla-serve", version: onnx.MODEL_GENERATOR_VERSION },
    metadata: { "semla.model": key, "semla.preset": preset.name, "semla.seed": String(seed), "semla.config": JSON.stringify(config) },
    ...(external ? { externalData: { location: `${MODEL_FILE_NAMES[key]}.data` } } : {}),
  });
  // Data first: a model file is only ever next to complete weights.
  const externalData = encoded.externalData ? await writeParts(path.join(dir, encoded.externalData.location), encoded.externalData) : null;
  const model = await writeParts(file, encoded.model);
  return { ...model, config, seed, externalData };
}

/**
 * Makes sure `dir` holds the preset's three models and a models.json describing them, generating
 * them when absent or when the preset's configs, seeds or the generator version changed.
 */
export async function ensureModelFiles(dir: string, presetOrName: onnx.ModelPresetName | onnx.ModelPreset, options: EnsureModelFilesOptions = {}): Promise<ModelFiles> {
  const preset = resolvePreset(presetOrName);
  onnx.validateModelPreset(preset);
  const root = path.resolve(dir);
  const paths = modelPaths(root);
  const existing = await readManifest(root);
  const variant = options.custom?.variant;
  if (existing && (await manifestMatches(root, existing, preset, options.verifyHashes ?? false, variant))) {
    return { dir: root, manifest: existing, paths, generated: false };
  }

  await mkdir(root, { recursive: true });
  // The old manifest goes first, so an interrupted run never leaves one describing other files.
  await rm(path.join(root, MODELS_MANIFEST), { force: true });
  // One model at a time: each graph's weights become garbage before the next is built.
  const threshold = options.externalDataThresholdBytes ?? EXTERNAL_DATA_THRESHOLD_BYTES;
  const clipVision = await generateModel(root, "clipVision", preset, preset.clipVision, threshold, options.custom);
  const textEncoder = await generateModel(root, "textEncoder", preset, preset.textEncoder, threshold, options.custom);
  const segmentation = await generateModel(root, "segmentation", preset, preset.segmentation, threshold, options.custom);
  const manifest: ModelsManifest = {
    generator: onnx.MODEL_GENERATOR_VERSION,
    opset: onnx.ONNX_OPSET,
    preset: preset.name,
    ...(variant !== undefined && { variant }),
    clipVision,
    textEncoder,
    segmentation,
  };
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeParts(path.join(root, MODELS_MANIFEST), { parts: [manifestBytes], byteLength: manifestBytes.byteLength });
  return { dir: root, manifest, paths, generated: true };
}

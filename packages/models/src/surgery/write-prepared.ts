import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { bytesSource, peft } from "@semla/core";
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_STD } from "../onnx/config.js";
import { MODEL_PACK_MANIFEST, type ModelPackManifest, type ModelPackManifestInput } from "../pack/manifest.js";
import { openModelPack } from "../pack/open-pack.js";
import { writePackFile, writePackManifest } from "../pack/write-pack.js";
import type { ImagePreprocessing } from "../preprocessing/image-preprocessing.js";
import { type PreparedModule, PrepareError, type PrepareTargets, prepareSegmenter, prepareTargets } from "./prepare.js";

/**
 * `semla models prepare`: a plain segmentation export made LoRA-ready and written as a model pack —
 * the prepared graph, its external data files copied beside it unchanged, the mapping (module →
 * node, weight, shapes) as `lora-mapping.json`, and the manifest listing the LoRA modules. The image
 * and text encoders come from an existing pack (`from`), copied with their files.
 */

export const PREPARED_SEGMENTER_FILE = "segmenter.onnx";
export const LORA_MAPPING_FILE = "lora-mapping.json";

/** What `--targets` names: an adapter folder or its adapter_config.json, a comma list of module names, or a regex. */
export async function targetsFromArgument(argument: string): Promise<PrepareTargets> {
  const asPath = path.resolve(argument);
  const info = await stat(asPath).catch(() => null);
  if (info) {
    const configFile = info.isDirectory() ? path.join(asPath, "adapter_config.json") : asPath;
    const config = peft.parsePeftConfig(await readFile(configFile));
    const targetModules = config.target_modules;
    if (targetModules === null || targetModules === undefined) throw new PrepareError("no-targets", `${configFile} names no target_modules`);
    // With the adapter's weights beside the config, its modules and shapes must be the graph's.
    const weightsFile = path.join(path.dirname(configFile), "adapter_model.safetensors");
    const weights = await readFile(weightsFile).catch(() => null);
    const shapes = weights
      ? new Map((await peft.readLoraAdapter({ config, weights: bytesSource(new Uint8Array(weights)) })).modules.map((m) => [m.name, { inFeatures: m.inFeatures, outFeatures: m.outFeatures }]))
      : undefined;
    return prepareTargets(targetModules, { description: `the target_modules of ${configFile}`, ...(shapes && { shapes }) });
  }
  if (/^[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*$/.test(argument)) return prepareTargets(argument.split(","));
  return prepareTargets(argument);
}

/** A mapping file: {"<module>": "<node name>"}. */
export async function readMapping(file: string): Promise<Map<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new PrepareError("mapping", `${file} is not a JSON mapping of module names to node names: ${(error as Error).message}`, { file });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json) || !Object.values(json).every((v) => typeof v === "string")) {
    throw new PrepareError("mapping", `${file} must be a JSON object mapping module names to node names, e.g. {"visual.proj": "/visual/MatMul_3"}`, { file });
  }
  return new Map(Object.entries(json as Record<string, string>));
}

export interface PreparePackOptions {
  /** The plain export. */
  readonly segmenter: string;
  readonly targets: PrepareTargets;
  readonly mapping?: ReadonlyMap<string, string>;
  /** The pack whose image and text encoders the new pack takes. */
  readonly from: string;
  readonly out: string;
  /** The segmenter's id (libraries of adapters for it name it as their baseModelId); default the export's file name. */
  readonly segmenterId?: string;
  /** Its input side and normalisation; default the base pack's segmenter's, else 384 with CLIP's mean and std. */
  readonly preprocessing?: ImagePreprocessing;
  /** Or only its square input side, with the rest of the base pack's (its segmenter's, else its image encoder's) preprocessing. */
  readonly size?: number;
}

export interface PreparedPack {
  readonly dir: string;
  readonly modules: readonly PreparedModule[];
  readonly manifest: ModelPackManifest;
}

export async function preparePack(options: PreparePackOptions): Promise<PreparedPack> {
  const out = path.resolve(options.out);
  if (await stat(path.join(out, MODEL_PACK_MANIFEST)).catch(() => null)) throw new PrepareError("output-exists", `${out} already holds a model pack: choose an empty --out folder`, { out });
  const base = await openModelPack(options.from);
  // Refused before anything is written: no half-made pack is left in --out.
  if (!base.manifest.textEncoder) throw new PrepareError("base-pack", `the pack in ${base.dir} has no text encoder: a segmenter needs one (class names → its text input)`, { from: base.dir });
  const exported = new Uint8Array(await readFile(options.segmenter));
  const prepared = prepareSegmenter(exported, options.targets, options.mapping);

  const copy = (file: string) => writePackFile(out, path.basename(file), { copyFrom: file });
  const exportDir = path.dirname(path.resolve(options.segmenter));
  // External data first: a model file is only ever next to complete weights.
  const externalData = [];
  for (const location of prepared.externalData) externalData.push(await writePackFile(out, location, { copyFrom: path.join(exportDir, location) }));
  const segmenterFile = await writePackFile(out, PREPARED_SEGMENTER_FILE, prepared.model);
  const mappingBytes = new TextEncoder().encode(
    `${JSON.stringify(
      prepared.modules.map((m) => ({ module: m.name, node: m.node, weight: m.weight, kind: m.kind, in: m.inFeatures, out: m.outFeatures, bias: m.bias, namedBy: m.namedBy })),
      null,
      2,
    )}\n`,
  );
  const mappingFile = await writePackFile(out, LORA_MAPPING_FILE, { parts: [mappingBytes], byteLength: mappingBytes.byteLength });

  const manifest = base.manifest;
  const baseFile = (name: string) => path.join(base.dir, name);
  const copyModel = async <T extends { file: { path: string }; externalData: readonly { path: string }[] }>(entry: T) => ({
    ...entry,
    file: await copy(baseFile(entry.file.path)),
    externalData: await Promise.all(entry.externalData.map((f) => copy(baseFile(f.path)))),
  });
  const image = await copyModel(manifest.imageEncoder);
  if ("huggingFace" in image.preprocessing) image.preprocessing = { huggingFace: await copy(baseFile(image.preprocessing.huggingFace.path)) };
  let text = manifest.textEncoder;
  if (text?.kind === "onnx") {
    const copied = await copyModel(text);
    text = copied.tokenizer.kind === "huggingface" ? { ...copied, tokenizer: { ...copied.tokenizer, file: await copy(baseFile(copied.tokenizer.file.path)) } } : copied;
  } else if (text?.kind === "table") {
    text = { ...text, embeddings: await copy(baseFile(text.embeddings.path)), names: await copy(baseFile(text.names.path)) };
  }
  if (!text) throw new PrepareError("base-pack", `the pack in ${base.dir} has no text encoder`); // checked above; narrows the type
  const sized = (p: ImagePreprocessing): ImagePreprocessing => (options.size === undefined ? p : { ...p, resize: { height: options.size, width: options.size }, crop: null });
  const preprocessing: ImagePreprocessing = options.preprocessing ??
    (options.size !== undefined ? sized(base.segmenter?.preprocessing ?? base.imageEncoder.preprocessing) : undefined) ??
    base.segmenter?.preprocessing ?? {
      resize: { height: 384, width: 384 },
      resample: "bicubic",
      crop: null,
      rescaleFactor: 1 / 255,
      normalize: { mean: [...CLIP_IMAGE_MEAN], std: [...CLIP_IMAGE_STD] },
    };
  const written: ModelPackManifestInput = {
    format: "semla-models",
    version: 1,
    name: `${manifest.name ?? path.basename(base.dir)} + ${path.basename(options.segmenter)} (LoRA-ready)`,
    imageEncoder: image,
    textEncoder: text,
    segmenter: {
      id: options.segmenterId ?? path.basename(options.segmenter, ".onnx"),
      file: segmenterFile,
      externalData,
      preprocessing,
      loraModules: prepared.modules.map((m) => ({ name: m.name, in: m.inFeatures, out: m.outFeatures })),
      loraMapping: mappingFile,
    },
  };
  await writePackManifest(out, written);
  const opened = await openModelPack(out);
  return { dir: out, modules: prepared.modules, manifest: opened.manifest };
}

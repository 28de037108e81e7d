import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describeIssues, linalg, numpy } from "@semla/core";
import { type ImagePreprocessing, parsePreprocessorConfig, preprocessedSize } from "../preprocessing/index.js";
import { type ClassTokenizer, HashedClassTokenizer, loadTokenizer } from "../tokenizer/index.js";
import { ModelPackError } from "./errors.js";
import { type ImageEncoderManifest, MODEL_PACK_MANIFEST, type ModelPackManifest, ModelPackManifestSchema, type PackFile, type SegmenterManifest, type TextEncoderManifest } from "./manifest.js";

/**
 * A model pack opened for serving: its manifest checked against the schema and against its files
 * (each there, of the size it names, and with its sha256 unless told to trust sizes), the
 * preprocessing and tokenizer files parsed, and the paths resolved. Everything a pack can get wrong
 * is found here, at start, naming the file and the rule — never in the middle of a request.
 */

export interface PackModelFile {
  /** Absolute path of the .onnx file (load by path: external data is found beside it). */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ImageEncoderSpec extends PackModelFile {
  readonly id: string;
  readonly inputs: ImageEncoderManifest["inputs"];
  readonly outputs: ImageEncoderManifest["outputs"];
  readonly dimension: number;
  readonly normalize: boolean;
  readonly preprocessing: ImagePreprocessing;
}

export type TextEncoderSpec =
  | (PackModelFile & {
      readonly kind: "onnx";
      readonly inputs: Extract<TextEncoderManifest, { kind: "onnx" }>["inputs"];
      readonly outputs: Extract<TextEncoderManifest, { kind: "onnx" }>["outputs"];
      readonly dimension: number;
      readonly tokenizer: ClassTokenizer;
      readonly templates: readonly string[];
    })
  | {
      readonly kind: "table";
      readonly dimension: number;
      /** Row i of `embeddings` is `names[i]`'s, L2-normalised. */
      readonly names: readonly string[];
      readonly embeddings: Float32Array;
    };

export interface SegmenterSpec extends PackModelFile {
  readonly id: string;
  readonly inputs: SegmenterManifest["inputs"];
  readonly outputs: SegmenterManifest["outputs"];
  readonly preprocessing: ImagePreprocessing;
  /** The side of the (square) input the graph takes. */
  readonly imageSize: number;
  readonly loraModules: readonly { readonly name: string; readonly inFeatures: number; readonly outFeatures: number }[];
}

export interface ModelPack {
  readonly dir: string;
  readonly manifest: ModelPackManifest;
  readonly imageEncoder: ImageEncoderSpec;
  readonly textEncoder: TextEncoderSpec | null;
  readonly segmenter: SegmenterSpec | null;
}

export interface OpenModelPackOptions {
  /** Check each file's sha256 (default), or only its size (a folder this process just wrote). */
  readonly verify?: "sha256" | "size";
}

const OLD_MANIFEST = "models.json";

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function readManifest(root: string): Promise<ModelPackManifest> {
  const file = path.join(root, MODEL_PACK_MANIFEST);
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) {
    const old = await access(path.join(root, OLD_MANIFEST)).then(
      () => true,
      () => false,
    );
    throw new ModelPackError(
      "manifest",
      old
        ? `${root} holds ${OLD_MANIFEST}, the models format before packs: write it as a pack (semla-models.json; README, "Model packs"), e.g. regenerate it with the current version`
        : `${root} holds no readable ${MODEL_PACK_MANIFEST} (a model pack: the manifest beside the model files; README, "Model packs")`,
      { file },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelPackError("manifest", `${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
  const parsed = ModelPackManifestSchema.safeParse(json);
  if (!parsed.success) throw new ModelPackError("manifest", `${file} is not a model pack manifest: ${describeIssues(parsed.error.issues)}`, { file });
  return parsed.data;
}

/** Every file the manifest lists, with the manifest field that lists it (for the error). */
function listedFiles(manifest: ModelPackManifest): [string, PackFile][] {
  const files: [string, PackFile][] = [];
  const model = (field: string, entry: { file: PackFile; externalData: readonly PackFile[] }) => {
    files.push([`${field}.file`, entry.file]);
    for (const [i, f] of entry.externalData.entries()) files.push([`${field}.externalData[${i}]`, f]);
  };
  const preprocessing = (field: string, source: ImageEncoderManifest["preprocessing"]) => {
    if ("huggingFace" in source) files.push([`${field}.preprocessing.huggingFace`, source.huggingFace]);
  };
  model("imageEncoder", manifest.imageEncoder);
  preprocessing("imageEncoder", manifest.imageEncoder.preprocessing);
  const text = manifest.textEncoder;
  if (text?.kind === "onnx") {
    model("textEncoder", text);
    if (text.tokenizer.kind === "huggingface") files.push(["textEncoder.tokenizer.file", text.tokenizer.file]);
  } else if (text?.kind === "table") {
    files.push(["textEncoder.embeddings", text.embeddings], ["textEncoder.names", text.names]);
  }
  if (manifest.segmenter) {
    model("segmenter", manifest.segmenter);
    preprocessing("segmenter", manifest.segmenter.preprocessing);
    if (manifest.segmenter.loraMapping) files.push(["segmenter.loraMapping", manifest.segmenter.loraMapping]);
  }
  return files;
}

async function verifyFile(root: string, field: string, file: PackFile, verify: "sha256" | "size"): Promise<void> {
  const full = path.join(root, file.path);
  const size = await stat(full).then(
    (info) => (info.isFile() ? info.size : undefined),
    () => undefined,
  );
  if (size === undefined) throw new ModelPackError("file", `${full} (${field}) is missing`, { file: full, field });
  if (size !== file.bytes) throw new ModelPackError("file", `${full} (${field}) is ${size} bytes; ${MODEL_PACK_MANIFEST} says ${file.bytes}`, { file: full, field, bytes: size, expected: file.bytes });
  if (verify === "sha256") {
    const sha256 = await sha256OfFile(full);
    if (sha256 !== file.sha256)
      throw new ModelPackError("file", `${full} (${field}) has sha256 ${sha256}; ${MODEL_PACK_MANIFEST} says ${file.sha256}`, { file: full, field, sha256, expected: file.sha256 });
  }
}

async function readJsonFile(root: string, file: PackFile, rule: "preprocessing" | "tokenizer" | "class-table"): Promise<unknown> {
  const full = path.join(root, file.path);
  try {
    return JSON.parse(await readFile(full, "utf8"));
  } catch (error) {
    throw new ModelPackError(rule, `${full} is not valid JSON: ${(error as Error).message}`, { file: full });
  }
}

async function preprocessingOf(root: string, source: ImageEncoderManifest["preprocessing"]): Promise<ImagePreprocessing> {
  if (!("huggingFace" in source)) return source;
  const full = path.join(root, source.huggingFace.path);
  const json = await readJsonFile(root, source.huggingFace, "preprocessing");
  try {
    return parsePreprocessorConfig(json, { file: full });
  } catch (error) {
    throw new ModelPackError("preprocessing", (error as Error).message, { file: full });
  }
}

function modelFile(root: string, file: PackFile): PackModelFile {
  return { path: path.join(root, file.path), bytes: file.bytes, sha256: file.sha256 };
}

async function imageEncoderOf(root: string, manifest: ImageEncoderManifest): Promise<ImageEncoderSpec> {
  const preprocessing = await preprocessingOf(root, manifest.preprocessing);
  const size = preprocessedSize(preprocessing);
  if (!size) {
    throw new ModelPackError("preprocessing", `imageEncoder: the preprocessing must give a fixed size (a center crop, or a resize to height × width)`, { field: "imageEncoder.preprocessing" });
  }
  return {
    ...modelFile(root, manifest.file),
    id: manifest.id,
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    dimension: manifest.dimension,
    normalize: manifest.normalize,
    preprocessing,
  };
}

async function textEncoderOf(root: string, manifest: TextEncoderManifest): Promise<TextEncoderSpec> {
  if (manifest.kind === "table") {
    const namesFile = path.join(root, manifest.names.path);
    const embeddingsFile = path.join(root, manifest.embeddings.path);
    const names = await readJsonFile(root, manifest.names, "class-table");
    if (!Array.isArray(names) || !names.every((n) => typeof n === "string" && n.length > 0)) {
      throw new ModelPackError("class-table", `${namesFile} must be a JSON array of non-empty class names`, { file: namesFile });
    }
    if (new Set(names).size !== names.length) throw new ModelPackError("class-table", `${namesFile} names a class twice`, { file: namesFile });
    let table: numpy.NpyArray;
    try {
      table = numpy.readNpy(new Uint8Array(await readFile(embeddingsFile)));
    } catch (error) {
      throw new ModelPackError("class-table", `${embeddingsFile} is not a float .npy: ${(error as Error).message}`, { file: embeddingsFile });
    }
    const [rows, dimension] = table.shape;
    if (table.shape.length !== 2 || rows !== names.length || dimension !== manifest.dimension) {
      throw new ModelPackError(
        "class-table",
        `${embeddingsFile} has shape (${table.shape.join(", ")}); ${MODEL_PACK_MANIFEST} and ${manifest.names.path} need (${names.length}, ${manifest.dimension})`,
        { file: embeddingsFile, shape: table.shape },
      );
    }
    return { kind: "table", dimension: manifest.dimension, names: names as string[], embeddings: linalg.l2NormalizeRowsInPlace(table.data, manifest.dimension) };
  }
  let tokenizer: ClassTokenizer;
  const spec = manifest.tokenizer;
  if (spec.kind === "huggingface") {
    const full = path.join(root, spec.file.path);
    const json = await readJsonFile(root, spec.file, "tokenizer");
    try {
      tokenizer = loadTokenizer(json, { file: full, contextLength: spec.contextLength });
    } catch (error) {
      throw new ModelPackError("tokenizer", (error as Error).message, { file: full });
    }
  } else {
    tokenizer = new HashedClassTokenizer({ contextLength: spec.contextLength, vocabularySize: spec.vocabularySize });
  }
  return {
    ...modelFile(root, manifest.file),
    kind: "onnx",
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    dimension: manifest.dimension,
    tokenizer,
    templates: manifest.templates,
  };
}

async function segmenterOf(root: string, manifest: SegmenterManifest): Promise<SegmenterSpec> {
  const preprocessing = await preprocessingOf(root, manifest.preprocessing);
  const size = preprocessedSize(preprocessing);
  if (!size || size.height !== size.width || preprocessing.crop) {
    // The label mask is resized back over the whole image, so the segmenter sees all of it: no crop.
    throw new ModelPackError("preprocessing", "segmenter: the preprocessing must resize to a square height × width with no center crop (the mask covers the whole image)", {
      field: "segmenter.preprocessing",
    });
  }
  return {
    ...modelFile(root, manifest.file),
    id: manifest.id,
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    preprocessing,
    imageSize: size.height,
    loraModules: manifest.loraModules.map((m) => ({ name: m.name, inFeatures: m.in, outFeatures: m.out })),
  };
}

/** Opens the pack in `dir` (see the module comment). */
export async function openModelPack(dir: string, options: OpenModelPackOptions = {}): Promise<ModelPack> {
  const root = path.resolve(dir);
  const manifest = await readManifest(root);
  const verify = options.verify ?? "sha256";
  for (const [field, file] of listedFiles(manifest)) await verifyFile(root, field, file, verify);
  const imageEncoder = await imageEncoderOf(root, manifest.imageEncoder);
  const textEncoder = manifest.textEncoder ? await textEncoderOf(root, manifest.textEncoder) : null;
  const segmenter = manifest.segmenter ? await segmenterOf(root, manifest.segmenter) : null;
  return { dir: root, manifest, imageEncoder, textEncoder, segmenter };
}

/** The pack's segmenter and text encoder, or the error naming what the route needs and the pack lacks. */
export function requireSegmenter(pack: ModelPack): { segmenter: SegmenterSpec; textEncoder: TextEncoderSpec } {
  if (!pack.segmenter || !pack.textEncoder) {
    throw new ModelPackError("missing-model", `the model pack in ${pack.dir} has no segmenter${pack.textEncoder ? "" : " or text encoder"}: segmentation needs both (it can route and embed only)`, {
      dir: pack.dir,
    });
  }
  return { segmenter: pack.segmenter, textEncoder: pack.textEncoder };
}

import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { defaultModelDir, ensureModelFiles, MODEL_FILE_NAMES, MODELS_MANIFEST, type ModelFiles, type ModelsManifest } from "@semla/inference";
import { z } from "zod";

/**
 * The model artifacts: SageMaker unpacks them into /opt/ml/model (read-only), a models.json beside
 * the ONNX files. Those are used as they are, never rewritten. A folder without models.json is a
 * local run: the preset's models are generated into a cache folder instead, and the log says so.
 */

const DigestSchema = z.object({ file: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string() });
const EntrySchema = DigestSchema.extend({ externalData: DigestSchema.nullable() });
const ManifestSchema = z.looseObject({
  preset: z.string().min(1),
  clipVision: EntrySchema,
  textEncoder: EntrySchema,
  segmentation: EntrySchema,
});

const KEYS = ["clipVision", "textEncoder", "segmentation"] as const;

export class ModelArtifactsError extends Error {}

async function sizeOf(file: string): Promise<number | undefined> {
  return stat(file).then(
    (info) => (info.isFile() ? info.size : undefined),
    () => undefined,
  );
}

async function readArtifacts(dir: string, text: string): Promise<ModelFiles> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactsError(`${path.join(dir, MODELS_MANIFEST)} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) throw new ModelArtifactsError(`${path.join(dir, MODELS_MANIFEST)} is not a models manifest: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  for (const key of KEYS) {
    const entry = parsed.data[key];
    if (entry.file !== MODEL_FILE_NAMES[key]) throw new ModelArtifactsError(`${MODELS_MANIFEST}: ${key} is ${entry.file}, expected ${MODEL_FILE_NAMES[key]}`);
    for (const digest of [entry, entry.externalData]) {
      if (!digest) continue;
      const size = await sizeOf(path.join(dir, digest.file));
      if (size !== digest.bytes) {
        throw new ModelArtifactsError(`${path.join(dir, digest.file)} is ${size === undefined ? "missing" : `${size} bytes`}; ${MODELS_MANIFEST} says ${digest.bytes}`);
      }
    }
  }
  const paths = { clipVision: path.join(dir, MODEL_FILE_NAMES.clipVision), textEncoder: path.join(dir, MODEL_FILE_NAMES.textEncoder), segmentation: path.join(dir, MODEL_FILE_NAMES.segmentation) };
  return { dir, manifest: parsed.data as unknown as ModelsManifest, paths, generated: false };
}

export interface LocateModelsOptions {
  readonly modelDir: string;
  readonly modelsCache?: string;
  readonly preset: string;
  readonly log: (line: string) => void;
}

export async function locateModels({ modelDir, modelsCache, preset, log }: LocateModelsOptions): Promise<ModelFiles> {
  const dir = path.resolve(modelDir);
  const text = await readFile(path.join(dir, MODELS_MANIFEST), "utf8").catch(() => undefined);
  if (text !== undefined) {
    const files = await readArtifacts(dir, text);
    log(`models: ${files.manifest.preset} from ${dir}`);
    return files;
  }
  const cache = path.resolve(modelsCache ?? defaultModelDir(preset));
  log(`models: ${dir} holds no ${MODELS_MANIFEST}; using the generated ${preset} models in ${cache} (generating them if needed)`);
  // ensureModelFiles refuses an unknown preset name itself, naming the known ones.
  const files = await ensureModelFiles(cache, preset as Parameters<typeof ensureModelFiles>[1]);
  log(files.generated ? `models: generated ${preset} into ${cache}` : `models: reused ${preset} from ${cache}`);
  return files;
}

import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describeIssues, SemlaError } from "@semla/core";
import { z } from "zod";
import { MODEL_FILE_NAMES, MODELS_MANIFEST, type ModelFiles, type ModelsManifest, modelPaths } from "./model-files.js";

/** A models folder that is not one: no or a broken models.json, or files that are not the ones it lists. */
export class ModelArtifactsError extends SemlaError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("models.invalid-artifacts", message, details, "internal");
  }
}

const DigestSchema = z.object({ file: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string() });
// Loose: an entry's config and seed (and fields a later generator adds) must survive the parse, since
// the sessions are configured from them.
const EntrySchema = z.looseObject({ ...DigestSchema.shape, externalData: DigestSchema.nullable(), config: z.looseObject({}), seed: z.number().int() });
const ManifestSchema = z.looseObject({
  preset: z.string().min(1),
  clipVision: EntrySchema,
  textEncoder: EntrySchema,
  segmentation: EntrySchema,
});

const KEYS = ["clipVision", "textEncoder", "segmentation"] as const;

async function sizeOf(file: string): Promise<number | undefined> {
  return stat(file).then(
    (info) => (info.isFile() ? info.size : undefined),
    () => undefined,
  );
}

/**
 * A models folder written elsewhere (SageMaker's /opt/ml/model, a copy from the bucket, a fitted
 * world), used as it is and never rewritten: its models.json is validated and every file it lists
 * must be there with the size it names. Each failure says which file and what was wrong.
 */
export async function openModelFiles(dir: string): Promise<ModelFiles> {
  const root = path.resolve(dir);
  const manifestFile = path.join(root, MODELS_MANIFEST);
  const text = await readFile(manifestFile, "utf8").catch(() => undefined);
  if (text === undefined) {
    throw new ModelArtifactsError(`${root} holds no readable ${MODELS_MANIFEST} (a models folder: ${Object.values(MODEL_FILE_NAMES).join(", ")}, ${MODELS_MANIFEST})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactsError(`${manifestFile} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) throw new ModelArtifactsError(`${manifestFile} is not a models manifest: ${describeIssues(parsed.error.issues)}`);
  for (const key of KEYS) {
    const entry = parsed.data[key];
    if (entry.file !== MODEL_FILE_NAMES[key]) throw new ModelArtifactsError(`${MODELS_MANIFEST}: ${key} is ${entry.file}, expected ${MODEL_FILE_NAMES[key]}`);
    for (const digest of [entry, entry.externalData]) {
      if (!digest) continue;
      const size = await sizeOf(path.join(root, digest.file));
      if (size !== digest.bytes) {
        throw new ModelArtifactsError(`${path.join(root, digest.file)} is ${size === undefined ? "missing" : `${size} bytes`}; ${MODELS_MANIFEST} says ${digest.bytes}`);
      }
    }
  }
  // The model configs are the generator's (checked when the sessions load them); the schema checks the files.
  return { dir: root, manifest: parsed.data as unknown as ModelsManifest, paths: modelPaths(root), generated: false };
}

import { access, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultModelDir, ensureModelFiles, MODEL_FILE_NAMES, MODELS_MANIFEST, type ModelFiles, openModelFiles } from "@semla/models";
import type { BlobStore } from "@semla/storage";
import { ConfigError } from "./config.js";

export { ModelArtifactsError } from "@semla/models";

/**
 * The ONNX models a service runs, found in this order (one rule for the API and the endpoint):
 * 1. a folder holding models.json beside the ONNX files (the endpoint: SageMaker unpacks the model
 *    artifacts into /opt/ml/model, read-only): used as they are, never rewritten;
 * 2. objects under a prefix of the bucket (the deployed API: SEMLA_MODELS_PREFIX), copied to /tmp once
 *    per cold start and checked against their manifest;
 * 3. else the preset's models, generated (random weights) into a cache folder. A bucket without models
 *    and no preset configured is a configuration error: a deployment never serves random weights by
 *    accident.
 */
export interface LocateModelsOptions {
  /** A models folder (models.json + ONNX files); without models.json, the next source is tried. */
  readonly dir?: string;
  /** The service's store, and where in it the models are (objects are only looked for in a bucket). */
  readonly store?: BlobStore;
  readonly prefix?: string;
  /** The models to generate when none are found; unset with a bucket: the error above; else "tiny". */
  readonly preset?: string | undefined;
  /** Where to generate them; default the repository's model cache for the preset. */
  readonly cacheDir?: string;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

export async function locateModels(options: LocateModelsOptions): Promise<ModelFiles> {
  const { store, prefix = "models/clip-vision/", log } = options;
  const dir = options.dir === undefined ? undefined : path.resolve(options.dir);
  if (
    dir !== undefined &&
    (await access(path.join(dir, MODELS_MANIFEST)).then(
      () => true,
      () => false,
    ))
  ) {
    const files = await openModelFiles(dir);
    log(`models: ${files.manifest.preset} from ${dir}`, { preset: files.manifest.preset, dir });
    return files;
  }
  if (store?.kind === "s3" && (await store.head(`${prefix}${MODELS_MANIFEST}`))) {
    // A fresh folder: files left by an earlier copy must not stand in for missing ones.
    const target = await mkdtemp(path.join(tmpdir(), "semla-models-"));
    const started = performance.now();
    for await (const object of store.list(prefix)) {
      const name = object.key.slice(prefix.length);
      // Only the flat files the manifest names; nothing in a key can climb out of the folder.
      if (name.includes("/") || name.startsWith(".")) continue;
      await writeFile(path.join(target, name), await store.get(object.key));
    }
    // Checked against its manifest (every file there, of the size it names), not trusted.
    const files = await openModelFiles(target);
    log(`models: downloaded ${files.manifest.preset} from ${prefix}`, { prefix, dir: target, ms: Math.round(performance.now() - started) });
    return files;
  }
  if (store?.kind === "s3" && options.preset === undefined) {
    throw new ConfigError(
      `no models under ${prefix} in the bucket (${MODELS_MANIFEST} beside ${Object.values(MODEL_FILE_NAMES).join(", ")}): upload them (README, Deploy), or set SEMLA_MODEL_PRESET to generate random-weight models`,
    );
  }
  const preset = options.preset ?? "tiny";
  const cache = path.resolve(options.cacheDir ?? defaultModelDir(preset));
  if (dir !== undefined) log(`models: ${dir} holds no ${MODELS_MANIFEST}; using the generated ${preset} models in ${cache} (generating them if needed)`, { preset, dir: cache });
  // ensureModelFiles refuses an unknown preset name itself, naming the known ones.
  const files = await ensureModelFiles(cache, preset as Parameters<typeof ensureModelFiles>[1]);
  log(files.generated ? `models: generated ${preset} into ${cache}` : `models: reused ${preset} from ${cache}`, { preset, dir: files.dir });
  return files;
}

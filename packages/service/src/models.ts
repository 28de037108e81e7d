import { access, mkdtemp, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultModelDir, ensureGeneratedPack, MODEL_PACK_MANIFEST, type ModelPack, openModelPack } from "@semla/models";
import type { BlobStore } from "@semla/storage";
import { ConfigError } from "./config.js";

export { ModelPackError } from "@semla/models";

/**
 * The model pack a service runs, found in this order (one rule for the API, the CLI and the endpoint):
 * 1. a folder holding semla-models.json (SEMLA_MODELS_DIR or `--models`; the endpoint's /opt/ml/model,
 *    where SageMaker unpacks the model artifacts, read-only): used as it is, never rewritten, every
 *    file checked against its sha256;
 * 2. objects under a prefix of the bucket (the deployed API: SEMLA_MODELS_PREFIX), copied to /tmp once
 *    per cold start and checked against their manifest's sha256;
 * 3. else the preset's models, generated (random weights) into a cache folder as a pack. A bucket
 *    without a pack and no preset configured is a configuration error: a deployment never serves
 *    random weights by accident.
 */
export interface LocateModelsOptions {
  /** A model pack's folder; without semla-models.json, the next source is tried (unless `required`). */
  readonly dir?: string;
  /** The folder was named by the user (`--models`, SEMLA_MODELS_DIR): it must hold a pack. */
  readonly required?: boolean;
  /** The service's store, and where in it the pack is (objects are only looked for in a bucket). */
  readonly store?: BlobStore;
  readonly prefix?: string;
  /** The models to generate when none are found; unset with a bucket: the error above; else "tiny". */
  readonly preset?: string | undefined;
  /** Where to generate them; default the repository's model cache for the preset. */
  readonly cacheDir?: string;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

/** Bytes of an object read at once when copying a pack: a 1.7 GB external-data file never sits in memory whole. */
const COPY_CHUNK_BYTES = 64 * 1024 * 1024;

async function copyObject(store: BlobStore, object: { key: string; size: number }, file: string): Promise<void> {
  const handle = await open(file, "w");
  try {
    for (let offset = 0; offset < object.size; offset += COPY_CHUNK_BYTES) {
      const chunk = await store.get(object.key, { offset, length: Math.min(COPY_CHUNK_BYTES, object.size - offset) });
      for (let written = 0; written < chunk.byteLength; ) written += (await handle.write(chunk, written, chunk.byteLength - written)).bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** A short description of a pack for logs: its name and models. */
export function describePack(pack: ModelPack): string {
  const parts = [`image encoder ${pack.imageEncoder.id} (${pack.imageEncoder.dimension}-d)`];
  if (pack.textEncoder) parts.push(pack.textEncoder.kind === "table" ? `class table (${pack.textEncoder.names.length} classes)` : "text encoder");
  if (pack.segmenter) parts.push(`segmenter ${pack.segmenter.id} (${pack.segmenter.loraModules.length} LoRA modules)`);
  return `${pack.manifest.name ?? path.basename(pack.dir)}: ${parts.join(", ")}`;
}

export async function locateModels(options: LocateModelsOptions): Promise<ModelPack> {
  const { store, prefix = "models/clip-vision/", log } = options;
  const dir = options.dir === undefined ? undefined : path.resolve(options.dir);
  if (dir !== undefined && (options.required || (await exists(path.join(dir, MODEL_PACK_MANIFEST))))) {
    const started = performance.now();
    const pack = await openModelPack(dir);
    log(`models: ${describePack(pack)} from ${dir}`, { dir, ms: Math.round(performance.now() - started) });
    return pack;
  }
  if (store?.kind === "s3" && (await store.head(`${prefix}${MODEL_PACK_MANIFEST}`))) {
    // A fresh folder: files left by an earlier copy must not stand in for missing ones.
    const target = await mkdtemp(path.join(tmpdir(), "semla-models-"));
    const started = performance.now();
    for await (const object of store.list(prefix)) {
      const name = object.key.slice(prefix.length);
      // Only the flat files a manifest can name; nothing in a key can climb out of the folder.
      if (name.includes("/") || name.startsWith(".")) continue;
      await copyObject(store, object, path.join(target, name));
    }
    const copied = performance.now();
    // Checked against its manifest (every file there, of the size and sha256 it names), not trusted.
    const pack = await openModelPack(target);
    log(`models: ${describePack(pack)}, copied from ${prefix}`, {
      prefix,
      dir: target,
      copyMs: Math.round(copied - started),
      verifyMs: Math.round(performance.now() - copied),
    });
    return pack;
  }
  if (store?.kind === "s3" && options.preset === undefined) {
    throw new ConfigError(
      `no model pack under ${prefix} in the bucket (${MODEL_PACK_MANIFEST} beside its model files): upload one (README, "Model packs"), or set SEMLA_MODEL_PRESET to generate random-weight models`,
    );
  }
  const preset = options.preset ?? "tiny";
  const cache = path.resolve(options.cacheDir ?? defaultModelDir(preset));
  if (dir !== undefined) log(`models: ${dir} holds no ${MODEL_PACK_MANIFEST}; using the generated ${preset} models in ${cache} (generating them if needed)`, { preset, dir: cache });
  // ensureGeneratedPack refuses an unknown preset name itself, naming the known ones.
  const pack = await ensureGeneratedPack(cache, preset as Parameters<typeof ensureGeneratedPack>[1]);
  log(pack.generated ? `models: generated ${preset} into ${cache}` : `models: reused ${preset} from ${cache}`, { preset, dir: pack.dir });
  return pack;
}

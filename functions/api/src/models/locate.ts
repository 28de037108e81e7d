import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultModelDir, ensureModelFiles, MODEL_FILE_NAMES, MODELS_MANIFEST, type ModelFiles, type ModelsManifest } from "@semla/inference";
import type { BlobStore } from "@semla/registry";
import type { Logger } from "../http/logger.js";

/**
 * The ONNX models the API runs. Deployed, they are objects under SEMLA_MODELS_PREFIX in the bucket
 * (models.json beside the .onnx files), copied to /tmp once per cold start. Without them (the
 * embedded default, tests) the preset's models are generated into the repository's model cache.
 */
export async function locateModels(options: { store: BlobStore; prefix: string; preset: "tiny" | "b16" | "l14"; logger: Logger }): Promise<ModelFiles> {
  const { store, prefix, logger } = options;
  if (store.kind === "s3" && (await store.head(`${prefix}${MODELS_MANIFEST}`))) {
    const dir = path.join(tmpdir(), "semla-models", prefix.replace(/[^A-Za-z0-9]+/g, "_"));
    await mkdir(dir, { recursive: true });
    const started = performance.now();
    for await (const object of store.list(prefix)) {
      const name = object.key.slice(prefix.length);
      // Only the flat files the manifest names; nothing in a key can climb out of dir.
      if (name.includes("/") || name.startsWith(".")) continue;
      await writeFile(path.join(dir, name), await store.get(object.key));
    }
    const manifest = JSON.parse(await readFile(path.join(dir, MODELS_MANIFEST), "utf8")) as ModelsManifest;
    logger.log("info", "models downloaded", { prefix, dir, ms: Math.round(performance.now() - started) });
    const paths = { clipVision: path.join(dir, MODEL_FILE_NAMES.clipVision), textEncoder: path.join(dir, MODEL_FILE_NAMES.textEncoder), segmentation: path.join(dir, MODEL_FILE_NAMES.segmentation) };
    return { dir, manifest, paths, generated: false };
  }
  const files = await ensureModelFiles(defaultModelDir(options.preset), options.preset);
  logger.log("info", files.generated ? "models generated" : "models reused", { preset: options.preset, dir: files.dir });
  return files;
}

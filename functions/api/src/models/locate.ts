import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultModelDir, ensureModelFiles, MODEL_FILE_NAMES, MODELS_MANIFEST, openModelFiles, type ModelFiles } from "@semla/models";
import type { BlobStore } from "@semla/storage";
import { ConfigError } from "../config.js";
import type { Logger } from "../http/logger.js";

/**
 * The ONNX models the API runs. Deployed, they are objects under SEMLA_MODELS_PREFIX in the bucket
 * (models.json beside the .onnx files), copied to /tmp once per cold start. Without them (the
 * embedded default, tests) the preset's models are generated into the repository's model cache.
 */
export async function locateModels(options: { store: BlobStore; prefix: string; preset: "tiny" | "b16" | "l14" | undefined; logger: Logger }): Promise<ModelFiles> {
  const { store, prefix, logger } = options;
  if (store.kind === "s3" && (await store.head(`${prefix}${MODELS_MANIFEST}`))) {
    // A fresh folder: files left by an earlier copy must not stand in for missing ones.
    const dir = await mkdtemp(path.join(tmpdir(), "semla-models-"));
    const started = performance.now();
    for await (const object of store.list(prefix)) {
      const name = object.key.slice(prefix.length);
      // Only the flat files the manifest names; nothing in a key can climb out of dir.
      if (name.includes("/") || name.startsWith(".")) continue;
      await writeFile(path.join(dir, name), await store.get(object.key));
    }
    // Checked against its manifest (every file there, of the size it names), not trusted.
    const files = await openModelFiles(dir);
    logger.log("info", "models downloaded", { prefix, dir, ms: Math.round(performance.now() - started) });
    return files;
  }
  if (store.kind === "s3" && options.preset === undefined) {
    throw new ConfigError(
      `no models under ${prefix} in the bucket (${MODELS_MANIFEST} beside ${Object.values(MODEL_FILE_NAMES).join(", ")}): upload them (README, Deploy), or set SEMLA_MODEL_PRESET to generate random-weight models`,
    );
  }
  const preset = options.preset ?? "tiny";
  const files = await ensureModelFiles(defaultModelDir(preset), preset);
  logger.log("info", files.generated ? "models generated" : "models reused", { preset, dir: files.dir });
  return files;
}

import { access } from "node:fs/promises";
import path from "node:path";
import { defaultModelDir, ensureModelFiles, MODELS_MANIFEST, openModelFiles, type ModelFiles } from "@semla/models";

export { ModelArtifactsError } from "@semla/models";

/**
 * The model artifacts: SageMaker unpacks them into /opt/ml/model (read-only), a models.json beside
 * the ONNX files. Those are used as they are, never rewritten. A folder without models.json is a
 * local run: the preset's models are generated into a cache folder instead, and the log says so.
 */

export interface LocateModelsOptions {
  readonly modelDir: string;
  readonly modelsCache?: string;
  readonly preset: string;
  readonly log: (line: string) => void;
}

export async function locateModels({ modelDir, modelsCache, preset, log }: LocateModelsOptions): Promise<ModelFiles> {
  const dir = path.resolve(modelDir);
  const hasManifest = await access(path.join(dir, MODELS_MANIFEST)).then(() => true, () => false);
  if (hasManifest) {
    const files = await openModelFiles(dir);
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

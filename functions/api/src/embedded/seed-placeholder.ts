// PLACEHOLDER until the evaluation stream's ensureWorldLibrary is merged (the lead swaps it in
// embedded/start.ts's default): random adapters for the generated segmentation model's LoRA modules,
// centroids from core's synthetic domain space, tinted noise images as test images. Routing over it
// is arbitrary; it only exercises the product end to end.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createPrng, domainSpace, onnx, peft, randomAdapter } from "@semla/core";
import { defaultModelDir, ensureModelFiles } from "@semla/inference";
import { registerAdapter } from "@semla/registry";
import sharp from "sharp";
import type { SeedLibrary } from "./seed.js";

const DOMAINS: readonly (readonly string[])[] = [[], ["fog"], ["night"], ["rain"], ["snow"], ["fog", "night"]];
const TINT: Readonly<Record<string, readonly [number, number, number]>> = { clear: [90, 140, 90], fog: [200, 200, 205], night: [20, 25, 60] };
const CLASS_NAMES = ["road", "sky", "building", "vegetation", "car", "person"];

export const seedPlaceholderLibrary: SeedLibrary = async ({ dataDir, index, store, tenant, seed = 7, onProgress }) => {
  const models = await ensureModelFiles(defaultModelDir("tiny"), "tiny");
  const dimension = models.manifest.clipVision.config.projectionDim;
  const baseModelId = `semla/segmentation-${models.manifest.preset}`;
  const library =
    (await index.listLibraries(tenant)).find((l) => l.name === "demo") ??
    (await index.createLibrary({ tenant, name: "demo", baseModelId, embeddingModelId: `clip-vision-${models.manifest.preset}`, dimension, metric: "euclidean" }));
  const space = domainSpace(dimension, seed);
  const modules = onnx.segmentationLoraModules(models.manifest.segmentation.config);
  for (const [i, shifts] of DOMAINS.entries()) {
    const name = shifts.join("+") || "clear";
    const files = peft.writePeftAdapter(randomAdapter({ modules, rank: 4, seed: seed * 100 + i, baseModel: baseModelId }));
    // Idempotent: the same bytes under the same name are found, not added again.
    await registerAdapter({ index, store }, { tenant, libraryId: library.id, name, config: files.config, weights: files.weights, centroid: space.centroid(shifts) });
    onProgress?.(`adapter ${name} (${i + 1}/${DOMAINS.length})`);
  }
  const imagesDir = path.join(dataDir, "demo-images");
  await mkdir(imagesDir, { recursive: true });
  const testImages = [];
  for (const [domain, tint] of Object.entries(TINT)) {
    const random = createPrng(seed, domain);
    const width = 96;
    const height = 64;
    const raw = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) raw[p * 3 + c] = Math.max(0, Math.min(255, tint[c]! + Math.round((random.next() - 0.5) * 60) + (p % width < width / 2 ? 0 : 30)));
    const file = path.join(imagesDir, `${domain}.png`);
    await writeFile(file, await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer());
    testImages.push({ domain, path: file });
  }
  return { library: (await index.getLibrary(tenant, library.id)) ?? library, models, classNames: CLASS_NAMES, testImages };
};

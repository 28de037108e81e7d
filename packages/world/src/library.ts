import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { numpy, peft } from "@semla/core";
import { ClipEmbedder, centroidOfImages, encodeMaskPng } from "@semla/inference";
import { ensureGeneratedPack, type GeneratedPack, type ModelPack } from "@semla/models";
import { type AdapterIndex, importLoraDb, type LibraryRecord } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import { z } from "zod";
import { fittedSegmentationGraph, fitWorld, type WorldFit, worldBaseModelId } from "./fit/fit-world.js";
import { WORLD_CLASSES } from "./generator/classes.js";
import { encodedSamples } from "./samples.js";
import { WORLD_DEMO, type WorldSpec } from "./spec.js";

/** Bump when the fit or the files it writes change: existing world folders are then regenerated. */
export const WORLD_FIT_VERSION = "semla-world/1";
export const DEFAULT_WORLD_SEED = 7;

export interface EnsureWorldLibraryOptions {
  /** The embedded default's data folder; the world goes in `<dataDir>/world/<spec>-seed<seed>/`. */
  readonly dataDir: string;
  readonly index: AdapterIndex;
  readonly store: BlobStore;
  readonly tenant: string;
  readonly seed?: number;
  /** Default WORLD_DEMO. */
  readonly spec?: WorldSpec;
  readonly onProgress?: (message: string) => void;
}

export interface WorldTestImage {
  readonly domain: string;
  /** PNG of the scene. */
  readonly path: string;
  /** Its label map: 8-bit PNG, pixel value = index into classNames. */
  readonly labelsPath: string;
}

export interface WorldLibrary {
  readonly library: LibraryRecord;
  readonly models: GeneratedPack;
  readonly classNames: string[];
  readonly testImages: WorldTestImage[];
  /** `<root>/test/<domain>/` is a dataset folder (images/, labels/, classes.txt) per domain. */
  readonly root: string;
  /** Whether this call fitted the world (false: found on disk). */
  readonly generated: boolean;
}

const MarkerSchema = z.object({ version: z.string(), spec: z.string(), seed: z.number().int(), testImages: z.number().int(), domains: z.array(z.string()) });

/** The id libraries of this world record as their embedding model: the pack's image encoder's (its file's hash), so other encoders are refused. */
export function worldEmbeddingModelId(models: ModelPack): string {
  return models.imageEncoder.id;
}

export function worldClassNames(): string[] {
  return WORLD_CLASSES.map((c) => c.name);
}

const testImagePaths = (root: string, spec: WorldSpec): WorldTestImage[] =>
  spec.domains.flatMap((domain) =>
    Array.from({ length: spec.testImages }, (_, i) => ({
      domain,
      path: path.join(root, "test", domain, "images", `${String(i).padStart(3, "0")}.png`),
      labelsPath: path.join(root, "test", domain, "labels", `${String(i).padStart(3, "0")}.png`),
    })),
  );

async function readMarker(file: string): Promise<z.infer<typeof MarkerSchema> | null> {
  try {
    return MarkerSchema.parse(JSON.parse(await readFile(file, "utf8")));
  } catch {
    return null;
  }
}

/** The SemLA loradb layout importLoraDb reads: `<domain>/{adapter_config.json, adapter_model.safetensors, <domain>_statistics.npz}`. */
async function writeLoraDb(root: string, fit: WorldFit, spec: WorldSpec, seed: number, models: ModelPack, onProgress: (m: string) => void): Promise<void> {
  const embedder = await ClipEmbedder.fromPack(models, { workers: 1 });
  try {
    for (const domain of spec.domains) {
      const adapter = fit.adapters.get(domain);
      if (!adapter) throw new Error(`no adapter was fitted for ${domain}`);
      const samples = await encodedSamples(spec, seed, domain, "train", spec.trainImages);
      const { centroid, spread } = await centroidOfImages(
        embedder,
        samples.map((s) => ({ name: `${domain}-${s.index}.png`, bytes: s.png })),
      );
      const folder = path.join(root, domain);
      await mkdir(folder, { recursive: true });
      const files = peft.writePeftAdapter(adapter, { semla_world: `${spec.name} seed ${seed} domain ${domain}` });
      await writeFile(path.join(folder, "adapter_config.json"), files.config);
      await writeFile(path.join(folder, "adapter_model.safetensors"), files.weights);
      const statistics = numpy.writeNpz({
        [numpy.SEMLA_CENTROID_KEY]: { shape: [1, centroid.length], data: centroid },
        [numpy.SEMLA_SPREAD_KEYS.euclidean]: { shape: [1], data: Float32Array.of(spread.euclidean) },
        [numpy.SEMLA_SPREAD_KEYS.cosine]: { shape: [1], data: Float32Array.of(spread.cosine) },
      });
      await writeFile(path.join(folder, `${domain}_statistics.npz`), statistics);
    }
    onProgress(`computed ${spec.domains.length} centroids (CLIP over ${spec.trainImages} training images each)`);
  } finally {
    await embedder.close();
  }
}

async function writeTestImages(root: string, spec: WorldSpec, seed: number): Promise<void> {
  const classes = `${worldClassNames().join("\n")}\n`;
  for (const domain of spec.domains) {
    const dir = path.join(root, "test", domain);
    await mkdir(path.join(dir, "images"), { recursive: true });
    await mkdir(path.join(dir, "labels"), { recursive: true });
    await writeFile(path.join(dir, "classes.txt"), classes);
    const samples = await encodedSamples(spec, seed, domain, "test", spec.testImages);
    for (const [i, s] of samples.entries()) {
      const name = `${String(i).padStart(3, "0")}.png`;
      await writeFile(path.join(dir, "images", name), s.png);
      await writeFile(path.join(dir, "labels", name), await encodeMaskPng(s));
    }
  }
}

class NeedsFit extends Error {}

/**
 * The world's library in the tenant, by name. A library of that name indexed with other embeddings
 * (a world regenerated with other models) is left as it is, and this one is named with its encoder's hash.
 */
async function findOrCreateLibrary(options: EnsureWorldLibraryOptions, wanted: { name: string; baseModelId: string; embeddingModelId: string; dimension: number }): Promise<LibraryRecord> {
  const libraries = await options.index.listLibraries(options.tenant);
  const fits = (l: LibraryRecord) => l.baseModelId === wanted.baseModelId && l.embeddingModelId === wanted.embeddingModelId && l.dimension === wanted.dimension;
  const byName = libraries.find((l) => l.name === wanted.name);
  const name = byName && !fits(byName) ? `${wanted.name}@${wanted.embeddingModelId.split("@").at(-1)}` : wanted.name;
  return (
    libraries.find((l) => l.name === name && fits(l)) ??
    (await options.index.createLibrary({ tenant: options.tenant, name, baseModelId: wanted.baseModelId, embeddingModelId: wanted.embeddingModelId, dimension: wanted.dimension, metric: "euclidean" }))
  );
}

/**
 * The synthetic world's library, generated once: fitted models (a models folder in the model-files
 * layout), one PEFT adapter per shifted domain with its CLIP centroid (a SemLA loradb folder,
 * ingested through importLoraDb into `index`/`store`), and the test images as PNG files. Idempotent:
 * a second call finds the marker, the models and the library's adapters and returns without fitting.
 */
export async function ensureWorldLibrary(options: EnsureWorldLibraryOptions): Promise<WorldLibrary> {
  const spec = options.spec ?? WORLD_DEMO;
  const seed = options.seed ?? DEFAULT_WORLD_SEED;
  const onProgress = options.onProgress ?? (() => undefined);
  const root = path.resolve(options.dataDir, "world", `${spec.name}-seed${seed}`);
  const markerFile = path.join(root, "world.json");
  const marker = { version: WORLD_FIT_VERSION, spec: spec.name, seed, testImages: spec.testImages, domains: [...spec.domains] };
  const found = await readMarker(markerFile);
  const variant = `${WORLD_FIT_VERSION}:${spec.name}:seed${seed}`;
  let fit: WorldFit | null = null;
  const ensureModels = () =>
    ensureGeneratedPack(path.join(root, "models"), spec.models, {
      segmenterId: worldBaseModelId(spec, seed),
      custom: {
        variant,
        graphs: {
          segmentation: () => {
            if (!fit) throw new NeedsFit();
            return fittedSegmentationGraph(spec, fit);
          },
        },
      },
    });

  let models: GeneratedPack | null = null;
  if (found && JSON.stringify(found) === JSON.stringify(marker)) {
    try {
      models = await ensureModels();
    } catch (error) {
      if (!(error instanceof NeedsFit)) throw error;
    }
  }
  const generated = models === null;
  if (models === null) {
    onProgress(`generating the ${spec.name} world (seed ${seed}): ${spec.domains.length} domains, ${spec.trainImages} training images each`);
    await rm(markerFile, { force: true });
    fit = await fitWorld(spec, seed, onProgress);
    models = await ensureModels();
    await rm(path.join(root, "loradb"), { recursive: true, force: true });
    await writeLoraDb(path.join(root, "loradb"), fit, spec, seed, models, onProgress);
    await writeTestImages(root, spec, seed);
    await writeFile(markerFile, `${JSON.stringify(marker, null, 2)}\n`);
  }

  const embeddingModelId = worldEmbeddingModelId(models);
  const library = await findOrCreateLibrary(options, {
    name: `${spec.name}-seed${seed}`,
    baseModelId: worldBaseModelId(spec, seed),
    embeddingModelId,
    dimension: spec.models.clipVision.projectionDim,
  });
  const items = await importLoraDb(options, path.join(root, "loradb"), { tenant: options.tenant, libraryId: library.id });
  const failed = items.filter((i) => i.status === "failed");
  if (failed.length > 0) throw new Error(`world library import failed: ${failed.map((f) => `${f.domain}: ${f.error?.message}`).join("; ")}`);
  const created = items.filter((i) => i.status === "created").length;
  if (created > 0) onProgress(`registered ${created} adapters in library ${library.id}`);
  return { library, models, classNames: worldClassNames(), testImages: testImagePaths(root, spec), root, generated };
}

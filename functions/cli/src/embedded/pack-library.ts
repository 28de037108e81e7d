import { createHash } from "node:crypto";
import { openModelPack } from "@semla/models";
import type { LibraryRecord } from "@semla/registry";
import type { SeedLibrary } from "./seed.js";

/** Class names the printed examples use when the pack has an open vocabulary (a closed one uses its own). */
const EXAMPLE_CLASSES = ["road", "sky", "building", "vegetation", "car", "person"];

/**
 * The embedded default over the user's model pack (`--models DIR`, SEMLA_MODELS_DIR) rather than the
 * demo world: the pack is opened (and verified) and the local tenant gets a library for it — indexed
 * with its image encoder, for adapters of its segmenter — found again on every start. The library
 * starts empty: adapters are pushed to it (`semla adapters push … --images DIR` computes centroids with
 * this pack's encoder), and zero-shot segmentation works before any is there.
 */
export function packLibrary(dir: string): SeedLibrary {
  return async (input) => {
    const models = await openModelPack(dir);
    const wanted = {
      baseModelId: models.segmenter?.id ?? models.imageEncoder.id,
      embeddingModelId: models.imageEncoder.id,
      dimension: models.imageEncoder.dimension,
    };
    const fits = (l: LibraryRecord) => l.baseModelId === wanted.baseModelId && l.embeddingModelId === wanted.embeddingModelId && l.dimension === wanted.dimension;
    const libraries = await input.index.listLibraries(input.tenant);
    const tag = createHash("sha256").update(`${wanted.embeddingModelId}\n${wanted.baseModelId}`).digest("hex").slice(0, 8);
    const name = `pack-${tag}`;
    const library = libraries.find((l) => l.name === name && fits(l)) ?? (await input.index.createLibrary({ tenant: input.tenant, name, ...wanted, metric: "euclidean" }));
    input.onProgress?.(`serving the model pack in ${models.dir}; library ${library.name} (${library.id}) is indexed with ${wanted.embeddingModelId}`);
    const classNames = models.textEncoder?.kind === "table" ? models.textEncoder.names.slice(0, 8) : EXAMPLE_CLASSES;
    return { library, models, classNames, testImages: [] };
  };
}

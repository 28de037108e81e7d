import { readdir, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { numpy } from "@semla/core";
import { ClipEmbedder, centroidOfImages } from "@semla/inference";
import { defaultModelDir, ensureGeneratedPack, type ModelPack, openModelPack } from "@semla/models";
import { progressBar } from "./progress.js";

export interface CentroidCommand {
  readonly folder: string;
  /** A model pack's image encoder, or a generated preset's. */
  readonly models: { readonly dir: string } | { readonly preset: "tiny" | "b16" | "l14" };
  /** .npy (numpy, shape (1, D)) or .json; printed as JSON when omitted. */
  readonly out?: string;
  readonly batchSize: number;
}

async function packOf(models: CentroidCommand["models"]): Promise<ModelPack> {
  if ("dir" in models) return openModelPack(models.dir);
  const pack = await ensureGeneratedPack(defaultModelDir(models.preset), models.preset);
  if (pack.generated) process.stderr.write(`generated the ${models.preset} models (random weights) into ${pack.dir}\n`);
  return pack;
}

/** The CLIP-embedding centroid of a folder of images: what indexes an adapter's domain in the library. */
export async function runCentroid(command: CentroidCommand): Promise<void> {
  const total = (await readdir(command.folder, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith(".")).length;
  const embedder = await ClipEmbedder.fromPack(await packOf(command.models));
  try {
    const progress = progressBar("embedding", total);
    const result = await centroidOfImages(embedder, command.folder, {
      batchSize: command.batchSize,
      onProgress: ({ processed, skipped }) => progress.update(processed, skipped > 0 ? `(${skipped} skipped)` : ""),
    });
    progress.finish(`${result.count} embedded, ${result.skipped.length} skipped`);
    for (const skip of result.skipped) process.stderr.write(`skipped ${skip.name}: ${skip.reason}\n`);
    if (command.out === undefined) {
      process.stdout.write(`${JSON.stringify({ dimension: result.centroid.length, count: result.count, centroid: Array.from(result.centroid) })}\n`);
    } else if (extname(command.out) === ".npy") {
      await writeFile(command.out, numpy.writeNpy([1, result.centroid.length], result.centroid));
    } else {
      await writeFile(command.out, `${JSON.stringify(Array.from(result.centroid))}\n`);
    }
  } finally {
    await embedder.close();
  }
}

import { numpy } from "@semla/core";
import type { ImageFile } from "@semla/inference";
import type { LibraryRecord, Metric } from "@semla/registry";
import { ApiError } from "../http/errors.js";

/**
 * Computes a centroid from sample images (CLIP embeddings, averaged), refusing on the first unusable
 * image with its own error naming it (image.too-large, image.undecodable, …); absent when the service
 * has no embedder.
 */
export type CentroidOfImages = (images: readonly ImageFile[], library: LibraryRecord) => Promise<{ centroid: Float32Array; count: number; spread: Readonly<Record<Metric, number>> }>;

export type CentroidPart = File | string | number[] | undefined;

/**
 * An adapter's centroid as uploaded: a .npy/.npz/.json file, a JSON array, or sample images to
 * embed. Every sample image must be usable: the API does not skip bad ones silently.
 */
export async function centroidFrom(
  part: { centroid: CentroidPart; images: readonly File[]; spread?: number | undefined },
  library: LibraryRecord,
  centroidOfImages: CentroidOfImages | undefined,
): Promise<{ centroid: Float32Array; sampleCount: number | null; spread: number | null }> {
  if (part.centroid !== undefined && part.images.length > 0) throw new ApiError("invalid-request", "give either a centroid or sample images, not both");
  if (part.spread !== undefined && part.centroid === undefined) throw new ApiError("invalid-request", "spread goes with a centroid: sample images give their own");
  if (part.centroid !== undefined) {
    const { centroid } = part;
    const spread = part.spread ?? null;
    if (Array.isArray(centroid))
      return { centroid: await numpy.parseCentroid({ format: "json", bytes: new TextEncoder().encode(JSON.stringify(centroid)) }, { dimension: library.dimension }), sampleCount: null, spread };
    const bytes = typeof centroid === "string" ? new TextEncoder().encode(centroid) : new Uint8Array(await centroid.arrayBuffer());
    const format = typeof centroid === "string" ? "json" : numpy.detectCentroidFormat(centroid.name, bytes);
    return { centroid: await numpy.parseCentroid({ format, bytes }, { dimension: library.dimension, key: numpy.SEMLA_CENTROID_KEY }), sampleCount: null, spread };
  }
  if (part.images.length === 0) throw new ApiError("invalid-request", "an adapter needs a centroid (file or JSON array) or sample images to compute it from");
  if (!centroidOfImages) throw new ApiError("not-available", "this deployment computes no centroids: upload the centroid instead");
  const images = await Promise.all(part.images.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })));
  const result = await centroidOfImages(images, library);
  return { centroid: result.centroid, sampleCount: result.count, spread: result.spread[library.metric] };
}

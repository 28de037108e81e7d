import { coverage, createPrng, SemlaError } from "@semla/core";
import { ImageError } from "../preprocess/errors.js";
import type { StagedEmbedder } from "./embedder.js";
import { type ImageFile, readImageFolder } from "./image-files.js";

/**
 * The centroid of a domain: the mean embedding of its images (SemLA represents each adapter's
 * training domain so). Streaming: at most two batches of preprocessed pixels are in memory (one
 * being embedded while the next is decoded), never the image set. Files that are not usable images
 * are skipped and reported, and the whole run fails only when none could be embedded; or, with
 * `strict`, the first one refuses the run with its own error (image.too-large, image.undecodable, …)
 * naming the file.
 */

export interface SkippedImage {
  readonly name: string;
  readonly code: string;
  readonly reason: string;
}

/** Reported after each batch: files done so far (embedded + skipped). */
export interface CentroidProgress {
  readonly processed: number;
  readonly embedded: number;
  readonly skipped: number;
}

export interface CentroidOptions {
  /** Images per inference. Default 16. */
  readonly batchSize?: number;
  readonly onProgress?: (progress: CentroidProgress) => void;
  readonly signal?: AbortSignal;
  /** Refuse on the first unusable image (its ImageError, with `image` naming it) instead of skipping it. */
  readonly strict?: boolean;
}

export interface CentroidResult {
  /** Mean of the embeddings (as the embedder returns them: unit-norm by default), not re-normalised. */
  readonly centroid: Float32Array;
  readonly count: number;
  /**
   * The images' spread around the centroid in each metric: the 95th percentile of their distances
   * (out-of-library detection calibrates with it). Measured on all of them up to SPREAD_SAMPLE
   * images, beyond that on a uniform reservoir sample of that many (deterministic).
   */
  readonly spread: { readonly euclidean: number; readonly cosine: number };
  readonly skipped: readonly SkippedImage[];
}

export type ImageSource = AsyncIterable<ImageFile> | Iterable<ImageFile> | string;

export class CentroidError extends SemlaError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("embed.no-images", message, details);
  }
}

/** Marks a promise as handled (it is awaited later), so a rejection meanwhile is not reported as unhandled. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Embeddings kept for the spread: 4,096 × 768 float32 = 12 MB at most, whatever the image count. */
export const SPREAD_SAMPLE = 4096;

type Prepared = { readonly name: string; readonly pixels: Float32Array } | { readonly name: string; readonly skipped: SkippedImage };

export async function centroidOfImages(embedder: StagedEmbedder, source: ImageSource, options: CentroidOptions = {}): Promise<CentroidResult> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const files = typeof source === "string" ? readImageFolder(source) : source;
  const { signal } = options;

  const sum = new Float64Array(embedder.dimension);
  // Reservoir sampling (Algorithm R): every embedding is kept with probability SPREAD_SAMPLE / seen.
  const kept: Float32Array[] = [];
  const reservoir = createPrng(0x5e3a, "centroid-spread");
  const skipped: SkippedImage[] = [];
  let seen = 0;
  let embedded = 0;
  const report = () => options.onProgress?.({ processed: embedded + skipped.length, embedded, skipped: skipped.length });

  const prepare = async (file: ImageFile): Promise<Prepared> => {
    try {
      return { name: file.name, pixels: await embedder.preprocess(file.bytes) };
    } catch (error) {
      if (!(error instanceof ImageError)) throw error;
      if (options.strict) throw new ImageError(error.rule, `sample image ${file.name}: ${error.message}`, { ...error.details, image: file.name });
      return { name: file.name, skipped: { name: file.name, code: error.code, reason: error.message } };
    }
  };

  const embedBatch = async (batch: Promise<Prepared>[]): Promise<void> => {
    const prepared = await Promise.all(batch);
    const usable: Float32Array[] = [];
    for (const item of prepared) {
      if ("skipped" in item) skipped.push(item.skipped);
      else usable.push(item.pixels);
    }
    if (usable.length > 0) {
      const embeddings = await embedder.embedPreprocessed(usable, signal ? { signal } : {});
      for (const e of embeddings) {
        if (e.length !== sum.length) throw new RangeError(`embedding of dimension ${e.length}, expected ${sum.length}`);
        for (let i = 0; i < e.length; i++) sum[i]! += e[i] as number;
        embedded++;
        if (kept.length < SPREAD_SAMPLE) kept.push(e);
        else {
          const slot = Math.floor(reservoir.next() * embedded);
          if (slot < SPREAD_SAMPLE) kept[slot] = e;
        }
      }
    }
    report();
  };

  // Decoding of the next batch overlaps the inference of the previous one.
  let inFlight: Promise<void> = Promise.resolve();
  let batch: Promise<Prepared>[] = [];
  try {
    for await (const file of files) {
      signal?.throwIfAborted();
      seen++;
      batch.push(handled(prepare(file)));
      if (batch.length === batchSize) {
        await inFlight;
        inFlight = handled(embedBatch(batch));
        batch = [];
      }
    }
    await inFlight;
    if (batch.length > 0) await embedBatch(batch);
  } catch (error) {
    // Let the batch in flight settle before the error surfaces (nothing left running).
    await inFlight.catch(() => undefined);
    throw error;
  }

  if (embedded === 0) {
    throw new CentroidError(seen === 0 ? "no images to embed: the source is empty" : `none of the ${seen} files could be embedded`, { seen, skipped: skipped.slice(0, 20) });
  }
  const centroid = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) centroid[i] = (sum[i] as number) / embedded;
  const spread = { euclidean: coverage.sampleSpread(kept, centroid, "euclidean"), cosine: coverage.sampleSpread(kept, centroid, "cosine") };
  return { centroid, count: embedded, spread, skipped };
}

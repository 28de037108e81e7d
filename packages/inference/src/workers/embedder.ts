import { linalg } from "@semla/core";
import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT, type ImageEncoderSpec, type ImagePreprocessing, type ModelPack, ModelPackError, preprocessedSize } from "@semla/models";
import { CLIP_MEAN, CLIP_STD, preprocessImage } from "../preprocess/clip.js";
import { ImageError } from "../preprocess/errors.js";
import { requireModelInterface } from "./model-interface.js";
import { OrtWorkerPool } from "./pool.js";

/**
 * Image embeddings from a CLIP vision model (the interface of a standard HF / optimum export:
 * `pixel_values` [N, 3, S, S] → `image_embeds` [N, D]) run in the worker pool. SemLA routes on
 * these: the query image's embedding against each adapter's centroid.
 */

export interface Embedder {
  readonly dimension: number;
  /** Encoded images (JPEG, PNG, WebP) → one embedding each, in order. */
  embed(images: readonly Uint8Array[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}

/** An embedder whose decoding and inference can be done separately (to skip bad images in a batch). */
export interface StagedEmbedder extends Embedder {
  /** Decodes and preprocesses one image; throws ImageError when it cannot be used. */
  preprocess(image: Uint8Array): Promise<Float32Array>;
  /** Embeds preprocessed images, in order. */
  embedPreprocessed(pixels: readonly Float32Array[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}

/** A square CLIP encoder's preprocessing, stated briefly (a model pack states any preprocessing: ImagePreprocessing). */
export interface ClipImageConfig {
  /** Input side S (crop size): the exported graph's fixed H and W. */
  readonly imageSize: number;
  /** Shortest side before the center crop (`size.shortest_edge`). Default imageSize. */
  readonly resizeSize?: number;
  readonly imageMean?: readonly [number, number, number];
  readonly imageStd?: readonly [number, number, number];
}

export interface ClipEmbedderOptions {
  /** The model's image preprocessing: a square CLIP config, or any preprocessing with a fixed output size (a model pack's). */
  readonly image: ClipImageConfig | ImagePreprocessing;
  /** Path of the CLIP vision .onnx: the embedder starts (and closes) its own pool. */
  readonly modelPath?: string;
  /** Or a pool holding the model under `model` (not closed by the embedder). */
  readonly pool?: OrtWorkerPool;
  /** Name of the model in the pool. Default "clip-vision". */
  readonly model?: string;
  readonly workers?: number;
  readonly intraOpThreads?: number;
  /** The embedding size the model must give (a pack's manifest): checked by the probe inference at start. */
  readonly expectDimension?: number;
  /** Embedding size; found by one probe inference when not given. */
  readonly dimension?: number;
  /** L2-normalise each embedding (default true), as CLIP's similarity expects; false keeps the raw projection. */
  readonly normalize?: boolean;
  /** Images per inference; larger requests are split. Default 16. */
  readonly maxBatch?: number;
  /** Pixel limit for decoding (see decode.ts). */
  readonly maxPixels?: number;
  /** The graph's input and output names; default a standard export's (`pixel_values` → `image_embeds`). */
  readonly names?: { readonly input: string; readonly output: string };
}

/** A square CLIP config as the preprocessing it stands for (CLIPImageProcessor's steps). */
function preprocessingOf(image: ClipImageConfig | ImagePreprocessing): ImagePreprocessing {
  if ("resample" in image) return image;
  const side = image.imageSize;
  return {
    resize: { shortestEdge: image.resizeSize ?? side },
    resample: "bicubic",
    crop: { height: side, width: side },
    rescaleFactor: 1 / 255,
    normalize: { mean: [...(image.imageMean ?? CLIP_MEAN)] as [number, number, number], std: [...(image.imageStd ?? CLIP_STD)] as [number, number, number] },
  };
}

export class ClipEmbedder implements StagedEmbedder {
  readonly dimension: number;
  /** The input's height and width (the preprocessing's output). */
  readonly inputSize: { readonly height: number; readonly width: number };
  /** The input's height (its side, for a square encoder). */
  readonly imageSize: number;
  private readonly preprocessing: ImagePreprocessing;
  private readonly pool: OrtWorkerPool;
  private readonly ownsPool: boolean;
  private readonly model: string;
  private readonly options: ClipEmbedderOptions;
  private readonly maxBatch: number;
  private readonly names: { readonly input: string; readonly output: string };

  private constructor(pool: OrtWorkerPool, ownsPool: boolean, model: string, dimension: number, options: ClipEmbedderOptions) {
    this.pool = pool;
    this.ownsPool = ownsPool;
    this.model = model;
    this.dimension = dimension;
    this.preprocessing = preprocessingOf(options.image);
    const size = preprocessedSize(this.preprocessing);
    if (!size) throw new RangeError("the image preprocessing must give a fixed size (a center crop, or a resize to height × width)");
    this.inputSize = size;
    this.imageSize = size.height;
    this.options = options;
    this.maxBatch = options.maxBatch ?? 16;
    this.names = options.names ?? { input: CLIP_VISION_INPUT, output: CLIP_VISION_OUTPUT };
  }

  static async create(options: ClipEmbedderOptions): Promise<ClipEmbedder> {
    const model = options.model ?? "clip-vision";
    const maxBatch = options.maxBatch ?? 16;
    if (!Number.isSafeInteger(maxBatch) || maxBatch <= 0) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    if ((options.pool === undefined) === (options.modelPath === undefined)) {
      throw new TypeError("give the CLIP vision model as exactly one of modelPath or pool");
    }
    const pool =
      options.pool ??
      (await OrtWorkerPool.create({
        models: { [model]: options.modelPath as string },
        ...(options.workers !== undefined && { workers: options.workers }),
        ...(options.intraOpThreads !== undefined && { intraOpThreads: options.intraOpThreads }),
      }));
    const ownsPool = options.pool === undefined;
    try {
      const names = options.names ?? { input: CLIP_VISION_INPUT, output: CLIP_VISION_OUTPUT };
      requireModelInterface(pool, model, { inputs: [names.input], outputs: [names.output] });
      const probe = new ClipEmbedder(pool, ownsPool, model, options.dimension ?? 0, options);
      if (options.dimension !== undefined) return probe;
      const { height, width } = probe.inputSize;
      const [embedding] = await probe.embedPreprocessed([new Float32Array(3 * height * width)]);
      const dimension = (embedding as Float32Array).length;
      if (options.expectDimension !== undefined && dimension !== options.expectDimension) {
        throw new ModelPackError("interface", `${options.modelPath ?? model} gives ${dimension}-d embeddings; the manifest says ${options.expectDimension}`, {
          file: options.modelPath ?? model,
          dimension,
          expected: options.expectDimension,
        });
      }
      return new ClipEmbedder(pool, ownsPool, model, dimension, options);
    } catch (error) {
      if (ownsPool) await pool.close();
      throw error;
    }
  }

  /** An embedder for a model pack's image encoder, configured from its manifest. */
  static fromPack(pack: ModelPack | ImageEncoderSpec, options: Pick<ClipEmbedderOptions, "workers" | "intraOpThreads" | "maxBatch" | "maxPixels"> = {}): Promise<ClipEmbedder> {
    const spec = "imageEncoder" in pack ? pack.imageEncoder : pack;
    return ClipEmbedder.create({
      ...options,
      modelPath: spec.path,
      image: spec.preprocessing,
      // One probe at start: an encoder whose output is not the manifest's size is refused now, not mid-request.
      expectDimension: spec.dimension,
      normalize: spec.normalize,
      names: { input: spec.inputs.pixels, output: spec.outputs.embeddings },
    });
  }

  async preprocess(image: Uint8Array): Promise<Float32Array> {
    const { maxPixels } = this.options;
    return (await preprocessImage(image, this.preprocessing, maxPixels !== undefined ? { maxPixels } : {})).data;
  }

  async embedPreprocessed(pixels: readonly Float32Array[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    const { height, width } = this.inputSize;
    const plane = 3 * height * width;
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < pixels.length; start += this.maxBatch) {
      const chunk = pixels.slice(start, start + this.maxBatch);
      const batch = new Float32Array(chunk.length * plane);
      chunk.forEach((p, i) => {
        if (p.length !== plane) throw new RangeError(`preprocessed image ${start + i} has ${p.length} values, expected 3×${height}×${width}`);
        batch.set(p, i * plane);
      });
      const { outputs } = await this.pool.run(
        this.model,
        { [this.names.input]: { type: "float32", data: batch, dims: [chunk.length, 3, height, width] } },
        options.signal ? { signal: options.signal } : {},
      );
      const out = outputs[this.names.output];
      const dimension = out?.dims[1];
      if (out?.dims.length !== 2 || out.dims[0] !== chunk.length || dimension === undefined) {
        throw new RangeError(`${this.names.output} has dims [${out?.dims.join(", ")}], expected [${chunk.length}, D]`);
      }
      for (let i = 0; i < chunk.length; i++) {
        const row = out.data.slice(i * dimension, (i + 1) * dimension);
        embeddings.push(this.options.normalize === false ? row : linalg.l2NormalizeInPlace(row));
      }
    }
    return embeddings;
  }

  async embed(images: readonly Uint8Array[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    const pixels = await Promise.all(
      images.map((image, index) =>
        this.preprocess(image).catch((error: unknown) => {
          // Name the culprit in a batch.
          if (error instanceof ImageError) throw new ImageError(error.rule, `image ${index}: ${error.message}`, { ...error.details, index });
          throw error;
        }),
      ),
    );
    return this.embedPreprocessed(pixels, options);
  }

  /** Closes the pool when the embedder started it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}

import type { ModuleShape } from "@semla/core";
import {
  loraInputNames,
  type ModelFiles,
  onnx,
  SEGMENTATION_OUTPUT,
  SEGMENTATION_PIXELS,
  SEGMENTATION_TEXT,
  TEXT_ENCODER_ATTENTION_MASK,
  TEXT_ENCODER_INPUT_IDS,
  TEXT_ENCODER_OUTPUT,
} from "@semla/models";
import { CLIP_MEAN, CLIP_STD } from "../preprocess/clip.js";
import { openImage } from "../preprocess/decode.js";
import { preprocessSquare } from "../preprocess/square.js";
import type { ExecutionProviderName } from "../runtime/ort.js";
import type { SegmentationInput, SegmentationOutput, Segmenter } from "../types.js";
import { requireModelInterface } from "../workers/model-interface.js";
import { OrtWorkerPool } from "../workers/pool.js";
import { checkClassNames } from "./class-names.js";
import { ClassTextEncoder } from "./class-text.js";
import { SegmentationError } from "./errors.js";
import { loraFeeds } from "./lora-feeds.js";
import { encodeMaskPng } from "./mask-png.js";

/**
 * The Segmenter over ONNX Runtime workers: the segmentation model (`pixel_values` [1, 3, S, S],
 * `text_embeds` [C, D] and the LoRA factors of every targeted module → `logits` [1, C, S, S]) and
 * the text encoder for the class names. Each request runs whole in one worker, so the answer does
 * not depend on how many workers there are.
 */

export interface OnnxSegmenterOptions {
  /** Model paths: the segmenter starts (and closes) its own pool. */
  readonly models?: { readonly segmentation: string; readonly textEncoder: string };
  /** Or a pool holding both models under `modelNames` (left open by close()). */
  readonly pool?: OrtWorkerPool;
  readonly modelNames?: { readonly segmentation?: string; readonly textEncoder?: string };
  readonly workers?: number;
  readonly intraOpThreads?: number;
  /** Providers of the pool's sessions (CUDA first when the endpoint has a GPU); default CPU. */
  readonly executionProviders?: readonly ExecutionProviderName[];
  readonly segmentation: {
    /** Input side S. */
    readonly imageSize: number;
    readonly imageMean?: readonly [number, number, number];
    readonly imageStd?: readonly [number, number, number];
    /** Every LoRA-targeted linear of the model, with its shape. */
    readonly loraTargets: readonly ModuleShape[];
  };
  readonly text: { readonly contextLength: number; readonly vocabularySize?: number };
  /** Class names whose text embeddings are kept. Default 1024. */
  readonly textCacheSize?: number;
  /** Pixel limit for decoding (see decode.ts). */
  readonly maxPixels?: number;
}

const elapsed = (since: number) => performance.now() - since;

export class OnnxSegmenter implements Segmenter {
  private constructor(
    private readonly pool: OrtWorkerPool,
    private readonly ownsPool: boolean,
    private readonly segmentationModel: string,
    private readonly text: ClassTextEncoder,
    private readonly options: OnnxSegmenterOptions,
  ) {}

  static async create(options: OnnxSegmenterOptions): Promise<OnnxSegmenter> {
    const segmentationModel = options.modelNames?.segmentation ?? "segmentation";
    const textModel = options.modelNames?.textEncoder ?? "text-encoder";
    if ((options.pool === undefined) === (options.models === undefined)) {
      throw new TypeError("give the models as exactly one of models (paths) or pool");
    }
    const pool =
      options.pool ??
      (await OrtWorkerPool.create({
        models: { [segmentationModel]: options.models!.segmentation, [textModel]: options.models!.textEncoder },
        ...(options.workers !== undefined && { workers: options.workers }),
        ...(options.intraOpThreads !== undefined && { intraOpThreads: options.intraOpThreads }),
        ...(options.executionProviders !== undefined && { executionProviders: options.executionProviders }),
      }));
    const ownsPool = options.pool === undefined;
    try {
      const loraInputs = options.segmentation.loraTargets.flatMap((t) => [loraInputNames(t.name).a, loraInputNames(t.name).b]);
      requireModelInterface(pool, segmentationModel, { inputs: [SEGMENTATION_PIXELS, SEGMENTATION_TEXT, ...loraInputs], outputs: [SEGMENTATION_OUTPUT] });
      requireModelInterface(pool, textModel, { inputs: [TEXT_ENCODER_INPUT_IDS, TEXT_ENCODER_ATTENTION_MASK], outputs: [TEXT_ENCODER_OUTPUT] });
      const text = new ClassTextEncoder(pool, textModel, {
        ...options.text,
        ...(options.textCacheSize !== undefined && { cacheSize: options.textCacheSize }),
      });
      return new OnnxSegmenter(pool, ownsPool, segmentationModel, text, options);
    } catch (error) {
      if (ownsPool) await pool.close();
      throw error;
    }
  }

  /** A segmenter for the models ensureModelFiles wrote, configured from their models.json. */
  static fromModelFiles(files: ModelFiles, options: Pick<OnnxSegmenterOptions, "workers" | "intraOpThreads" | "executionProviders" | "textCacheSize" | "maxPixels"> = {}): Promise<OnnxSegmenter> {
    const { segmentation, textEncoder } = files.manifest;
    return OnnxSegmenter.create({
      ...options,
      models: { segmentation: files.paths.segmentation, textEncoder: files.paths.textEncoder },
      segmentation: {
        imageSize: segmentation.config.imageSize,
        imageMean: segmentation.config.imageMean,
        imageStd: segmentation.config.imageStd,
        loraTargets: onnx.segmentationLoraModules(segmentation.config),
      },
      text: { contextLength: textEncoder.config.contextLength, vocabularySize: textEncoder.config.vocabularySize },
    });
  }

  /** Names in the text-embedding cache. */
  get cachedClassNames(): number {
    return this.text.cacheSize;
  }

  async segment(input: SegmentationInput, options: { signal?: AbortSignal } = {}): Promise<SegmentationOutput> {
    const started = performance.now();
    const { signal } = options;
    const { classNames, adapter } = input;
    checkClassNames(classNames);
    signal?.throwIfAborted();
    // Adapter checks first: a mismatched adapter fails before any decoding or inference.
    const lora = loraFeeds(this.options.segmentation.loraTargets, adapter);
    const { imageSize: size, imageMean, imageStd } = this.options.segmentation;
    const { maxPixels } = this.options;

    // Decoding and the text encoder are independent: run them side by side.
    const preprocessing = (async () => {
      const t = performance.now();
      const image = await openImage(input.image, maxPixels !== undefined ? { maxPixels } : {});
      const pixels = await preprocessSquare(image, { size, mean: imageMean ?? CLIP_MEAN, std: imageStd ?? CLIP_STD });
      return { pixels, ms: elapsed(t) };
    })();
    const texting = (async () => {
      const t = performance.now();
      const embeddings = await this.text.embed(classNames, signal);
      return { embeddings, ms: elapsed(t) };
    })();
    // Both settle before anything is thrown, so no rejection is left unhandled.
    const [pre, txt] = await Promise.allSettled([preprocessing, texting]);
    if (pre.status === "rejected") throw pre.reason;
    if (txt.status === "rejected") throw txt.reason;
    const { pixels } = pre.value;
    const { embeddings } = txt.value;

    // The label mask and scores are computed in the worker from the logits, which stay there.
    const run = await this.pool.run(
      this.segmentationModel,
      {
        [SEGMENTATION_PIXELS]: { type: "float32", data: pixels.data, dims: [1, 3, size, size] },
        [SEGMENTATION_TEXT]: { type: "float32", data: embeddings.data, dims: [classNames.length, embeddings.dimension] },
        ...lora,
      },
      {
        ...(signal && { signal }),
        reduce: { kind: "label-mask", output: SEGMENTATION_OUTPUT, classes: classNames.length, size, width: pixels.width, height: pixels.height },
      },
    );
    const mask = run.reduced;
    if (!mask) throw new SegmentationError("model-output", "the worker returned no label mask");

    const tPng = performance.now();
    const maskPng = await encodeMaskPng(mask);
    const pngMs = elapsed(tPng);

    return {
      maskPng,
      width: mask.width,
      height: mask.height,
      scores: classNames.map((className, c) => ({
        className,
        pixelFraction: mask.pixelFraction[c] as number,
        meanProbability: mask.meanProbability[c] as number,
      })),
      timings: {
        preprocess: pre.value.ms,
        text: txt.value.ms,
        queue: run.waitMs, // waiting for a free worker
        inference: run.runMs, // session.run() in the worker
        postprocess: mask.ms + pngMs, // argmax, resize and scores (in the worker), then the PNG
        total: elapsed(started),
      },
    };
  }

  /** Closes the worker pool when the segmenter started it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}

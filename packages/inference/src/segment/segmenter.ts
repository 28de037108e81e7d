import type { ModuleShape } from "@semla/core";
import { loraInputNames, type ModelPack, requireSegmenter, type SegmenterSpec, type TextEncoderSpec } from "@semla/models";
import { preprocessImage } from "../preprocess/clip.js";
import { openImage } from "../preprocess/decode.js";
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
 * The Segmenter over ONNX Runtime workers: the pack's segmenter (pixels [1, 3, S, S], text
 * embeddings [C, D] and the LoRA factors of every targeted module → logits [1, C, h, w], under the
 * names the pack's manifest gives) and its text encoder for the class names. Each request runs whole
 * in one worker, so the answer does not depend on how many workers there are.
 */

export interface OnnxSegmenterOptions {
  /** The pack's segmenter and text encoder. */
  readonly segmenter: SegmenterSpec;
  readonly textEncoder: TextEncoderSpec;
  /** Or a pool holding the models under `modelNames` (left open by close()); default: a pool of its own over the specs' files. */
  readonly pool?: OrtWorkerPool;
  readonly modelNames?: { readonly segmentation?: string; readonly textEncoder?: string };
  readonly workers?: number;
  readonly intraOpThreads?: number;
  /** Providers of the pool's sessions (CUDA first when the endpoint has a GPU); default CPU. */
  readonly executionProviders?: readonly ExecutionProviderName[];
  /** Class names whose text embeddings are kept. Default 1024. */
  readonly textCacheSize?: number;
  /** Pixel limit for decoding (see decode.ts). */
  readonly maxPixels?: number;
}

const elapsed = (since: number) => performance.now() - since;

export class OnnxSegmenter implements Segmenter {
  private readonly loraTargets: readonly ModuleShape[];

  private constructor(
    private readonly pool: OrtWorkerPool,
    private readonly ownsPool: boolean,
    private readonly segmentationModel: string,
    private readonly text: ClassTextEncoder,
    private readonly options: OnnxSegmenterOptions,
  ) {
    this.loraTargets = options.segmenter.loraModules;
  }

  static async create(options: OnnxSegmenterOptions): Promise<OnnxSegmenter> {
    const segmentationModel = options.modelNames?.segmentation ?? "segmentation";
    const textModel = options.modelNames?.textEncoder ?? "text-encoder";
    const { segmenter, textEncoder } = options;
    const pool =
      options.pool ??
      (await OrtWorkerPool.create({
        models: { [segmentationModel]: segmenter.path, ...(textEncoder.kind === "onnx" && { [textModel]: textEncoder.path }) },
        ...(options.workers !== undefined && { workers: options.workers }),
        ...(options.intraOpThreads !== undefined && { intraOpThreads: options.intraOpThreads }),
        ...(options.executionProviders !== undefined && { executionProviders: options.executionProviders }),
      }));
    const ownsPool = options.pool === undefined;
    try {
      const loraInputs = segmenter.loraModules.flatMap((t) => [loraInputNames(t.name).a, loraInputNames(t.name).b]);
      requireModelInterface(pool, segmentationModel, { inputs: [segmenter.inputs.pixels, segmenter.inputs.text, ...loraInputs], outputs: [segmenter.outputs.logits] });
      if (textEncoder.kind === "onnx") {
        const mask = textEncoder.inputs.attentionMask;
        requireModelInterface(pool, textModel, { inputs: [textEncoder.inputs.ids, ...(mask ? [mask.name] : [])], outputs: [textEncoder.outputs.embeddings] });
      }
      const text = new ClassTextEncoder(textEncoder.kind === "onnx" ? pool : null, textModel, textEncoder, {
        ...(options.textCacheSize !== undefined && { cacheSize: options.textCacheSize }),
      });
      return new OnnxSegmenter(pool, ownsPool, segmentationModel, text, options);
    } catch (error) {
      if (ownsPool) await pool.close();
      throw error;
    }
  }

  /** A segmenter for a model pack's segmenter and text encoder (refused, naming what is missing, when it has none). */
  static fromPack(pack: ModelPack, options: Omit<OnnxSegmenterOptions, "segmenter" | "textEncoder" | "pool" | "modelNames"> = {}): Promise<OnnxSegmenter> {
    return OnnxSegmenter.create({ ...options, ...requireSegmenter(pack) });
  }

  /** The class-text encoder (and its cache), for other sessions over the same pack (bank sessions). */
  get classText(): ClassTextEncoder {
    return this.text;
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
    const lora = loraFeeds(this.loraTargets, adapter);
    const { segmenter } = this.options;
    const size = segmenter.imageSize;
    const { maxPixels } = this.options;

    // Decoding and the text encoder are independent: run them side by side.
    const preprocessing = (async () => {
      const t = performance.now();
      const image = await openImage(input.image, maxPixels !== undefined ? { maxPixels } : {});
      // The whole image, resized to the segmenter's input (no crop: the mask maps back onto every pixel).
      const { data } = await preprocessImage(image, segmenter.preprocessing);
      return { pixels: { data, width: image.width, height: image.height }, ms: elapsed(t) };
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
        [segmenter.inputs.pixels]: { type: "float32", data: pixels.data, dims: [1, 3, size, size] },
        [segmenter.inputs.text]: { type: "float32", data: embeddings.data, dims: [classNames.length, embeddings.dimension] },
        ...lora,
      },
      {
        ...(signal && { signal }),
        reduce: { kind: "label-mask", output: segmenter.outputs.logits, classes: classNames.length, width: pixels.width, height: pixels.height },
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

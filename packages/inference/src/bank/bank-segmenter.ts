import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LORA_BANK_INDICES, LORA_BANK_WEIGHTS, type SegmenterSpec } from "@semla/models";
import { preprocessImage } from "../preprocess/clip.js";
import { openImage } from "../preprocess/decode.js";
import type { ExecutionProviderName } from "../runtime/ort.js";
import { checkClassNames } from "../segment/class-names.js";
import type { ClassTextEncoder } from "../segment/class-text.js";
import { SegmentationError } from "../segment/errors.js";
import { labelMask } from "../segment/label-mask.js";
import { encodeMaskPng } from "../segment/mask-png.js";
import type { SegmentationOutput } from "../types.js";
import { requireModelInterface } from "../workers/model-interface.js";
import { OrtWorkerPool } from "../workers/pool.js";
import { BankError } from "./errors.js";
import { checkPlan, type PlanWeights, planFeeds } from "./plan-feeds.js";

/**
 * A library's bank session: the pack's segmenter in bank mode (models' prepareBankSegmenter), its
 * adapters resident in the session, each image run with its own plan. A batch of images that share
 * their class names runs as one session.run (pixels [N, 3, S, S], plans [N, k]); each image's result
 * is its own: an image that cannot be decoded, a plan outside the bank, or an aborted request fails
 * alone, and the others still run. Nothing is fused and no adapter moves per request.
 */

export interface BankItem {
  readonly image: Uint8Array;
  readonly plan: PlanWeights;
  readonly signal?: AbortSignal;
}

export interface BankSegmenterOptions {
  /** The pack's segmenter: preprocessing, input side and tensor names (its file is not read). */
  readonly segmenter: SegmenterSpec;
  /** The bank-mode graph (prepareBankSegmenter's, joined). */
  readonly model: Uint8Array;
  /** External data files the graph names (the export's weights), linked beside it: name → path. */
  readonly externalData?: Readonly<Record<string, string>>;
  /** Adapters in the bank: a plan's indices are below it. */
  readonly size: number;
  /**
   * false: the graph takes no plan (a plain segmenter, run batched the same way; plans are ignored):
   * the base model with no LoRA at all, which benchmarks compare bank mode with. Default true.
   */
  readonly planInputs?: boolean;
  /** The process's class-text encoder (shared with the plain segmenter: one cache, one text model). */
  readonly text: ClassTextEncoder;
  readonly executionProviders?: readonly ExecutionProviderName[];
  readonly intraOpThreads?: number;
  readonly maxPixels?: number;
}

const MODEL = "bank";
const elapsed = (since: number) => performance.now() - since;

export class BankSegmenter {
  private inFlight = 0;
  private idle: (() => void) | null = null;
  private closing = false;

  private constructor(
    private readonly pool: OrtWorkerPool,
    private readonly options: BankSegmenterOptions,
  ) {}

  /** Loads the bank graph in a worker of its own (written to a temporary file the worker reads, then removed). */
  static async create(options: BankSegmenterOptions): Promise<BankSegmenter> {
    const dir = await mkdtemp(path.join(tmpdir(), "semla-bank-"));
    let pool: OrtWorkerPool | undefined;
    try {
      const file = path.join(dir, "bank.onnx");
      await writeFile(file, options.model);
      for (const [name, target] of Object.entries(options.externalData ?? {})) await symlink(path.resolve(target), path.join(dir, name));
      pool = await OrtWorkerPool.create({
        models: { [MODEL]: file },
        workers: 1,
        ...(options.intraOpThreads !== undefined && { intraOpThreads: options.intraOpThreads }),
        ...(options.executionProviders !== undefined && { executionProviders: options.executionProviders }),
      });
      const { inputs, outputs } = options.segmenter;
      const plan = options.planInputs === false ? [] : [LORA_BANK_INDICES, LORA_BANK_WEIGHTS];
      requireModelInterface(pool, MODEL, { inputs: [inputs.pixels, inputs.text, ...plan], outputs: [outputs.logits] });
      return new BankSegmenter(pool, options);
    } catch (error) {
      await pool?.close();
      throw error;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  get size(): number {
    return this.options.size;
  }

  /** Segments each item with its own plan, in one run; each result settles on its own. */
  async segmentBatch(classNames: readonly string[], items: readonly BankItem[]): Promise<PromiseSettledResult<SegmentationOutput>[]> {
    if (this.closing) throw new BankError("closed", "this bank session is closed");
    this.inFlight++;
    try {
      return await this.runBatch(classNames, items);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  private async runBatch(classNames: readonly string[], items: readonly BankItem[]): Promise<PromiseSettledResult<SegmentationOutput>[]> {
    const started = performance.now();
    checkClassNames(classNames);
    const { segmenter, maxPixels, size } = this.options;
    const side = segmenter.imageSize;
    const tText = performance.now();
    const texting = this.options.text.embed(classNames);
    const prepared = await Promise.allSettled(
      items.map(async (item) => {
        item.signal?.throwIfAborted();
        if (this.options.planInputs !== false) checkPlan(item.plan, size);
        const t = performance.now();
        const image = await openImage(item.image, maxPixels !== undefined ? { maxPixels } : {});
        const { data } = await preprocessImage(image, segmenter.preprocessing);
        item.signal?.throwIfAborted();
        return { data, width: image.width, height: image.height, ms: elapsed(t) };
      }),
    );
    const embeddings = await texting;
    const textMs = elapsed(tText);
    const live = prepared.flatMap((p, i) => (p.status === "fulfilled" ? [{ i, ...p.value }] : []));
    const results: PromiseSettledResult<SegmentationOutput>[] = prepared.map((p) => (p.status === "rejected" ? p : { status: "rejected", reason: null }));
    if (live.length === 0) return results;

    const plane = 3 * side * side;
    const pixels = new Float32Array(live.length * plane);
    for (const [row, item] of live.entries()) pixels.set(item.data, row * plane);
    const run = await this.pool.run(MODEL, {
      [segmenter.inputs.pixels]: { type: "float32", data: pixels, dims: [live.length, 3, side, side] },
      [segmenter.inputs.text]: { type: "float32", data: embeddings.data, dims: [classNames.length, embeddings.dimension] },
      ...(this.options.planInputs === false ? {} : planFeeds(live.map((item) => (items[item.i] as BankItem).plan))),
    });
    const logits = run.outputs[segmenter.outputs.logits];
    const [batch, classes, gridHeight, gridWidth] = logits?.dims ?? [];
    if (!logits || !(logits.data instanceof Float32Array) || batch !== live.length || classes !== classNames.length || gridHeight === undefined || gridWidth === undefined) {
      throw new SegmentationError("model-output", `the bank session gave logits [${logits?.dims.join(", ") ?? "absent"}], expected [${live.length}, ${classNames.length}, h, w]`);
    }
    const perImage = classes * gridHeight * gridWidth;
    await Promise.all(
      live.map(async (item, row) => {
        try {
          const t = performance.now();
          const mask = labelMask((logits.data as Float32Array).subarray(row * perImage, (row + 1) * perImage), classes, { height: gridHeight, width: gridWidth }, item.width, item.height);
          const maskPng = await encodeMaskPng(mask);
          results[item.i] = {
            status: "fulfilled",
            value: {
              maskPng,
              width: mask.width,
              height: mask.height,
              scores: classNames.map((className, c) => ({ className, pixelFraction: mask.pixelFraction[c] as number, meanProbability: mask.meanProbability[c] as number })),
              timings: { preprocess: item.ms, text: textMs, queue: run.waitMs, inference: run.runMs, postprocess: elapsed(t), total: elapsed(started) },
            },
          };
        } catch (error) {
          results[item.i] = { status: "rejected", reason: error };
        }
      }),
    );
    return results;
  }

  /** Closes the session once the batches running on it are done (an evicted bank finishes its work). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.pool.close();
  }
}

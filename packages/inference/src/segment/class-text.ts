import { linalg, SemlaError } from "@semla/core";
import type { TextEncoderSpec } from "@semla/models";
import type { OrtFeed } from "../runtime/ort.js";
import type { OrtWorkerPool } from "../workers/pool.js";
import { SegmentationError } from "./errors.js";
import { TextEmbeddingCache } from "./text-cache.js";

/**
 * Text embeddings of class names, as open-vocabulary segmenters compute them: each name is put in
 * every prompt template ("a photo of a {}.", …), the prompts are tokenized by the pack's tokenizer and
 * run through the text encoder (`input_ids` int64 [P, L], `attention_mask` [P, L] of the type the
 * model declares → `text_embeds` [P, D]), each prompt's embedding is L2-normalised, and a name's
 * embedding is the mean over its templates, renormalised. Names are cached: only names not seen
 * recently go to the model. A closed vocabulary (a table of precomputed embeddings) is looked up instead.
 */

export interface ClassEmbeddings {
  /** [classes, dimension], row-major. */
  readonly data: Float32Array;
  readonly dimension: number;
  /** How many names were already cached (or, for a table, found in it). */
  readonly cached: number;
}

/** Prompts run through the encoder at once: 255 classes × a few templates stay one or two runs. */
const PROMPTS_PER_RUN = 512;

type OnnxText = Extract<TextEncoderSpec, { kind: "onnx" }>;
type TableText = Extract<TextEncoderSpec, { kind: "table" }>;

export class ClassTextEncoder {
  private readonly cache: TextEmbeddingCache;
  private readonly table: Map<string, number> | null;

  constructor(
    private readonly pool: OrtWorkerPool | null,
    private readonly model: string,
    private readonly spec: TextEncoderSpec,
    options: { cacheSize?: number } = {},
  ) {
    this.cache = new TextEmbeddingCache(options.cacheSize ?? 1024);
    this.table = spec.kind === "table" ? new Map(spec.names.map((name, row) => [name, row])) : null;
    if (spec.kind === "onnx" && !pool) throw new TypeError("an ONNX text encoder needs a worker pool");
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  get dimension(): number {
    return this.spec.dimension;
  }

  async embed(names: readonly string[], signal?: AbortSignal): Promise<ClassEmbeddings> {
    if (this.spec.kind === "table") return this.lookUp(this.spec, names);
    const found = new Map<string, Float32Array>();
    const missing: string[] = [];
    for (const name of names) {
      if (found.has(name) || missing.includes(name)) continue;
      const hit = this.cache.get(name);
      if (hit) found.set(name, hit);
      else missing.push(name);
    }
    const cached = names.filter((n) => found.has(n)).length;
    if (missing.length > 0) {
      for (const [name, embedding] of await this.encode(this.spec, missing, signal)) {
        found.set(name, embedding);
        this.cache.set(name, embedding);
      }
    }
    return this.assemble(names, (name) => found.get(name) as Float32Array, cached);
  }

  private assemble(names: readonly string[], row: (name: string) => Float32Array, cached: number): ClassEmbeddings {
    const { dimension } = this.spec;
    const data = new Float32Array(names.length * dimension);
    names.forEach((name, i) => {
      data.set(row(name), i * dimension);
    });
    return { data, dimension, cached };
  }

  private lookUp(spec: TableText, names: readonly string[]): ClassEmbeddings {
    const table = this.table as Map<string, number>;
    const unknown = names.filter((name) => !table.has(name.trim()));
    if (unknown.length > 0) {
      throw new SegmentationError(
        "unknown-class",
        `${unknown.map((n) => JSON.stringify(n)).join(", ")} ${unknown.length === 1 ? "is" : "are"} not in this model's closed vocabulary of ${spec.names.length} classes`,
        { unknown, vocabulary: spec.names.length },
      );
    }
    const { dimension } = spec;
    return this.assemble(
      names,
      (name) => {
        const r = table.get(name.trim()) as number;
        return spec.embeddings.subarray(r * dimension, (r + 1) * dimension);
      },
      names.length,
    );
  }

  private tokenize(spec: OnnxText, prompts: readonly string[]) {
    try {
      return spec.tokenizer.encode(prompts);
    } catch (error) {
      // A name the tokenizer cannot use (nothing left after normalisation) is the caller's fault.
      if (error instanceof SemlaError && error.kind === "invalid") throw new SegmentationError("invalid-class-name", error.message, { ...error.details });
      throw error;
    }
  }

  private async encode(spec: OnnxText, names: readonly string[], signal?: AbortSignal): Promise<Map<string, Float32Array>> {
    const { templates, dimension } = spec;
    const prompts = names.flatMap((name) => templates.map((template) => template.replace("{}", name)));
    const sums = names.map(() => new Float32Array(dimension));
    for (let start = 0; start < prompts.length; start += PROMPTS_PER_RUN) {
      const chunk = prompts.slice(start, start + PROMPTS_PER_RUN);
      const tokens = this.tokenize(spec, chunk);
      const dims = [...tokens.dims];
      const feeds: Record<string, OrtFeed> = { [spec.inputs.ids]: { type: "int64", data: tokens.inputIds, dims } };
      const mask = spec.inputs.attentionMask;
      if (mask) {
        feeds[mask.name] = mask.type === "int64" ? { type: "int64", data: tokens.attentionMask, dims } : { type: "float32", data: Float32Array.from(tokens.attentionMask, Number), dims };
      }
      const { outputs } = await (this.pool as OrtWorkerPool).run(this.model, feeds, signal ? { signal } : {});
      const out = outputs[spec.outputs.embeddings];
      if (out?.dims.length !== 2 || out.dims[0] !== chunk.length || out.dims[1] !== dimension) {
        throw new SegmentationError("model-output", `${spec.outputs.embeddings} has dims [${out?.dims.join(", ")}], expected [${chunk.length}, ${dimension}]`);
      }
      for (let p = 0; p < chunk.length; p++) {
        const prompt = linalg.l2NormalizeInPlace(out.data.slice(p * dimension, (p + 1) * dimension));
        const sum = sums[Math.floor((start + p) / templates.length)] as Float32Array;
        for (let j = 0; j < dimension; j++) sum[j] = (sum[j] as number) + (prompt[j] as number);
      }
    }
    return new Map(names.map((name, i) => [name, linalg.l2NormalizeInPlace(sums[i] as Float32Array)]));
  }
}

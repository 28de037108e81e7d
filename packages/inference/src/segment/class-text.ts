import { onnx, TEXT_ENCODER_ATTENTION_MASK, TEXT_ENCODER_INPUT_IDS, TEXT_ENCODER_OUTPUT } from "@semla/models";
import type { OrtWorkerPool } from "../workers/pool.js";
import { SegmentationError } from "./errors.js";
import { TextEmbeddingCache } from "./text-cache.js";

/**
 * Text embeddings of class names from the text encoder (`input_ids` int64 [C, L] and
 * `attention_mask` [C, L] from the models package's tokenizer → `text_embeds` [C, D]), cached per name: only
 * names not seen recently go to the model, in one batch.
 */

export interface ClassTextOptions {
  /** Tokens per name. */
  readonly contextLength: number;
  readonly vocabularySize?: number;
  /** Names kept in the cache. Default 1024. */
  readonly cacheSize?: number;
}

export interface ClassEmbeddings {
  /** [classes, dimension], row-major. */
  readonly data: Float32Array;
  readonly dimension: number;
  /** How many names were already cached. */
  readonly cached: number;
}

export class ClassTextEncoder {
  private readonly cache: TextEmbeddingCache;

  constructor(
    private readonly pool: OrtWorkerPool,
    private readonly model: string,
    private readonly options: ClassTextOptions,
  ) {
    this.cache = new TextEmbeddingCache(options.cacheSize ?? 1024);
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  async embed(names: readonly string[], signal?: AbortSignal): Promise<ClassEmbeddings> {
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
      for (const [name, embedding] of await this.encode(missing, signal)) {
        found.set(name, embedding);
        this.cache.set(name, embedding);
      }
    }
    const dimension = (found.get(names[0] as string) as Float32Array).length;
    const data = new Float32Array(names.length * dimension);
    names.forEach((name, i) => {
      data.set(found.get(name) as Float32Array, i * dimension);
    });
    return { data, dimension, cached };
  }

  private async encode(names: readonly string[], signal?: AbortSignal): Promise<Map<string, Float32Array>> {
    let tokens: onnx.TokenizedClassNames;
    try {
      tokens = onnx.tokenizeClassNames(names, {
        length: this.options.contextLength,
        ...(this.options.vocabularySize !== undefined && { vocabularySize: this.options.vocabularySize }),
      });
    } catch (error) {
      if (error instanceof onnx.OnnxError && error.code === "onnx.class-name-empty") {
        throw new SegmentationError("invalid-class-name", error.message, { ...error.details });
      }
      throw error;
    }
    const dims = [...tokens.dims];
    const { outputs } = await this.pool.run(
      this.model,
      {
        [TEXT_ENCODER_INPUT_IDS]: { type: "int64", data: tokens.inputIds, dims },
        [TEXT_ENCODER_ATTENTION_MASK]: { type: "float32", data: tokens.attentionMask, dims },
      },
      signal ? { signal } : {},
    );
    const out = outputs[TEXT_ENCODER_OUTPUT];
    const dimension = out?.dims[1];
    if (out?.dims.length !== 2 || out.dims[0] !== names.length || dimension === undefined) {
      throw new SegmentationError("model-output", `${TEXT_ENCODER_OUTPUT} has dims [${out?.dims.join(", ")}], expected [${names.length}, D]`);
    }
    return new Map(names.map((name, i) => [name, out.data.slice(i * dimension, (i + 1) * dimension)]));
  }
}

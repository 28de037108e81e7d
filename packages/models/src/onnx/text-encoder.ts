import { TEXT_ENCODER_ATTENTION_MASK, TEXT_ENCODER_INPUT_IDS, TEXT_ENCODER_OUTPUT } from "../tensor-names.js";
import { requirePositiveIntegers } from "./config.js";
import { type Graph, GraphBuilder } from "./graph.js";
import { applyLinear, l2Normalize } from "./layers.js";
import { Parameters } from "./weights.js";

/**
 * A small deterministic text encoder so any class name gets an embedding without a real CLIP text
 * tower: token embeddings (see tokenize.ts) → mean over the unmasked tokens → linear projection →
 * L2 normalisation. Names sharing tokens get correlated embeddings; identical names identical ones.
 */
export interface TextEncoderConfig {
  readonly vocabularySize: number;
  /** Tokens per class name the tokenizer should produce (the model accepts any length). */
  readonly contextLength: number;
  /** Token embedding width. */
  readonly width: number;
  /** Output embedding dimension (the segmentation model's embedDim). */
  readonly embedDim: number;
}

export const TEXT_ENCODER_TINY: TextEncoderConfig = { vocabularySize: 4096, contextLength: 16, width: 32, embedDim: 16 };
export const TEXT_ENCODER_BASE: TextEncoderConfig = { vocabularySize: 4096, contextLength: 32, width: 512, embedDim: 512 };

export function validateTextEncoderConfig(config: TextEncoderConfig): void {
  requirePositiveIntegers("text encoder config", config, ["vocabularySize", "contextLength", "width", "embedDim"]);
}

/**
 * input_ids int64 [classes, tokens], attention_mask float32 [classes, tokens] → text_embeds float32
 * [classes, embedDim], unit norm. Fully padded rows give a zero embedding rather than NaN.
 */
export function buildTextEncoder(config: TextEncoderConfig, seed: number): Graph {
  validateTextEncoderConfig(config);
  const { vocabularySize, width, embedDim } = config;
  const g = new GraphBuilder("text_encoder");
  const params = new Parameters(g, seed);
  const ids = g.input(TEXT_ENCODER_INPUT_IDS, "int64", ["classes", "tokens"]);
  const mask = g.input(TEXT_ENCODER_ATTENTION_MASK, "float32", ["classes", "tokens"]);

  const table = params.normal("text_model.embeddings.token_embedding.weight", [vocabularySize, width], 1);
  const embedded = g.gather(table, ids, 0, "token_embedding"); // [classes, tokens, width]
  const masked = g.mul(embedded, g.unsqueeze(mask, [2], "mask/Unsqueeze"), "mask/Apply");
  const sum = g.reduceSum(masked, [1], false, "pool/Sum"); // [classes, width]
  const count = g.max(g.reduceSum(mask, [1], true, "pool/Count"), g.float32(1, "pool/min_count"), "pool/ClampCount");
  const pooled = g.div(sum, count, "pool/Mean");

  const weight = params.normal("text_projection.weight", [embedDim, width], width ** -0.5);
  const projected = applyLinear(g, pooled, "text_projection", weight, null);
  g.output(l2Normalize(g, projected, "l2_normalize"), TEXT_ENCODER_OUTPUT, "float32", ["classes", embedDim]);
  return g.build();
}

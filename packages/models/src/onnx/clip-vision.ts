import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT } from "../tensor-names.js";
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_STD, type ImageInputConfig, requirePositiveIntegers, requireViTGeometry } from "./config.js";
import { type Graph, GraphBuilder } from "./graph.js";
import { denseLinear, layerNorm, preLnTransformerBlock } from "./layers.js";
import { Parameters } from "./weights.js";

/**
 * A CLIP ViT image encoder computed exactly as transformers' CLIPVisionModelWithProjection does, with
 * its parameter names, and deterministic random weights: SemLA routes on these image embeddings.
 */
export interface ClipVisionConfig extends ImageInputConfig {
  readonly patchSize: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlpDim: number;
  readonly projectionDim: number;
  readonly layerNormEps: number;
}

const clip = { imageMean: CLIP_IMAGE_MEAN, imageStd: CLIP_IMAGE_STD, layerNormEps: 1e-5 } as const;

/** For tests: builds in milliseconds. */
export const CLIP_VISION_TINY: ClipVisionConfig = { ...clip, imageSize: 32, patchSize: 8, width: 32, layers: 2, heads: 4, mlpDim: 64, projectionDim: 16 };
/** openai/clip-vit-base-patch16's geometry (≈86 M parameters, ≈350 MB). */
export const CLIP_VISION_B16: ClipVisionConfig = { ...clip, imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12, mlpDim: 3072, projectionDim: 512 };
/** openai/clip-vit-large-patch14's geometry (≈303 M parameters, ≈1.2 GB). */
export const CLIP_VISION_L14: ClipVisionConfig = { ...clip, imageSize: 224, patchSize: 14, width: 1024, layers: 24, heads: 16, mlpDim: 4096, projectionDim: 768 };

export function validateClipVisionConfig(config: ClipVisionConfig): void {
  requirePositiveIntegers("clip vision config", config, ["imageSize", "patchSize", "width", "layers", "heads", "mlpDim", "projectionDim"]);
  requireViTGeometry("clip vision config", config);
}

/**
 * pixel_values float32 [batch, 3, H, W] → image_embeds float32 [batch, projectionDim], not normalised
 * (as transformers returns them). Parameter names are transformers' (`vision_model.…`, `visual_projection.weight`).
 */
export function buildClipVision(config: ClipVisionConfig, seed: number): Graph {
  validateClipVisionConfig(config);
  const { imageSize: size, patchSize: patch, width, layers, projectionDim } = config;
  const grid = size / patch;
  const g = new GraphBuilder("clip_vision");
  const params = new Parameters(g, seed);
  const linear = denseLinear(params);
  const pixels = g.input(CLIP_VISION_INPUT, "float32", ["batch", 3, size, size]);

  // Embeddings: Conv2d(3, width, patch, stride=patch, bias=False), flattened to [batch, patches, width].
  const patchWeight = params.normal("vision_model.embeddings.patch_embedding.weight", [width, 3, patch, patch], 0.02);
  const patches = g.conv(pixels, patchWeight, null, { kernelShape: [patch, patch], strides: [patch, patch] }, "patch_embedding");
  const tokens = g.transpose(g.reshape(patches, [0, width, -1], "patch_embedding/Flatten"), [0, 2, 1], "patch_embedding/Tokens");
  // The class token, broadcast to [batch, 1, width] and prepended.
  const classEmbedding = params.normal("vision_model.embeddings.class_embedding", [width], width ** -0.5);
  const batch = g.shape(pixels, { start: 0, end: 1 }, "batch_size");
  const classShape = g.concat([batch, g.int64([1, width], "class_shape_tail")], 0, "class_shape");
  const classToken = g.expand(g.reshape(classEmbedding, [1, 1, width], "class_embedding/Reshape"), classShape, "class_token");
  const embedded = g.concat([classToken, tokens], 1, "embeddings/Concat");
  const positions = params.normal("vision_model.embeddings.position_embedding.weight", [grid * grid + 1, width], 0.02);
  let h = g.add(embedded, positions, "embeddings");

  h = layerNorm(params, h, "vision_model.pre_layrnorm", width, config.layerNormEps);
  for (let i = 0; i < layers; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    h = preLnTransformerBlock(params, h, {
      ...config,
      names: {
        ln1: `${p}.layer_norm1`,
        q: `${p}.self_attn.q_proj`,
        k: `${p}.self_attn.k_proj`,
        v: `${p}.self_attn.v_proj`,
        out: `${p}.self_attn.out_proj`,
        ln2: `${p}.layer_norm2`,
        fc1: `${p}.mlp.fc1`,
        fc2: `${p}.mlp.fc2`,
      },
      linear,
    });
  }

  // Pooled output: the class token of the last layer, post-LayerNorm, projected without bias.
  const pooled = g.gather(h, g.int64([0], "class_index", []), 1, "pooled");
  const normed = layerNorm(params, pooled, "vision_model.post_layernorm", width, config.layerNormEps);
  const embeds = linear(normed, { name: "visual_projection", inFeatures: width, outFeatures: projectionDim, bias: false, std: width ** -0.5 });
  g.output(embeds, CLIP_VISION_OUTPUT, "float32", ["batch", projectionDim]);
  return g.build();
}

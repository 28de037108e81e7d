import { denseDelta, type LoraAdapter, type LoraModule, type ModuleShape } from "@semla/core";
import { loraInputNames, SEGMENTATION_FEATURES, SEGMENTATION_OUTPUT, SEGMENTATION_PIXELS, SEGMENTATION_TEXT } from "../tensor-names.js";
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_STD, type ImageInputConfig, requirePositiveIntegers, requireViTGeometry } from "./config.js";
import { OnnxError } from "./errors.js";
import { type Graph, GraphBuilder } from "./graph.js";
import { applyLinear, BIAS_STD, type LinearFactory, l2Normalize, layerNorm, preLnTransformerBlock } from "./layers.js";
import { normalWeights, Parameters } from "./weights.js";

/**
 * An open-vocabulary segmentation model standing in for CAT-Seg: a CLIP-style ViT over the image
 * whose per-patch features are compared (cosine, times a logit scale) with class text embeddings,
 * then upsampled bilinearly to the input size. Its LoRA-targeted linears carry CAT-Seg's module
 * names, and every one adds (x·Aᵀ)·Bᵀ with A and B as graph inputs of symbolic rank: one session
 * serves any adapter, and zero-size factors (rank 0) serve "no adapter".
 */
export interface SegmentationConfig extends ImageInputConfig {
  readonly patchSize: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlpDim: number;
  /** Dimension shared with the text embeddings. */
  readonly embedDim: number;
  /** CLIP's exp(logit_scale) after training: 100. */
  readonly logitScale: number;
  readonly layerNormEps: number;
  /**
   * Replace CLIP's fixed visual projection by a LoRA-targeted linear head (HEAD_MODULE, [embedDim, width],
   * with bias) whose output reaches the logits through a per-patch normalisation only: the prediction is
   * argmax_c ⟨head(x), t_c⟩, linear in the head's weights, which a closed-form fit needs. Default false.
   */
  readonly loraHead?: boolean;
}

const clip = { imageMean: CLIP_IMAGE_MEAN, imageStd: CLIP_IMAGE_STD, layerNormEps: 1e-5, logitScale: 100 } as const;

/** For tests: builds and runs in milliseconds. */
export const SEGMENTATION_TINY: SegmentationConfig = { ...clip, imageSize: 32, patchSize: 8, width: 32, layers: 2, heads: 4, mlpDim: 64, embedDim: 16 };
/**
 * For the service on CPU: 14×14 patches, ≈11 M parameters (≈45 MB), a few tens of ms per image on
 * two threads; embedDim matches ViT-B/16's 512.
 */
export const SEGMENTATION_SMALL: SegmentationConfig = { ...clip, imageSize: 224, patchSize: 16, width: 384, layers: 6, heads: 6, mlpDim: 1536, embedDim: 512 };

const MODULE_PREFIX = "sem_seg_head.predictor.clip_model.visual";
/** The head projection of `loraHead` models, named after CAT-Seg's aggregator head (the layer before its logits). */
export const HEAD_MODULE = "sem_seg_head.predictor.transformer.head";

export function validateSegmentationConfig(config: SegmentationConfig): void {
  requirePositiveIntegers("segmentation config", config, ["imageSize", "patchSize", "width", "layers", "heads", "mlpDim", "embedDim"]);
  requireViTGeometry("segmentation config", config);
  if (!(config.logitScale > 0)) throw new OnnxError("onnx.config-invalid", `segmentation config: logitScale must be positive, got ${config.logitScale}`);
}

/** The LoRA-targeted linears of block i, in graph order. */
function blockModules(config: SegmentationConfig, i: number): ModuleShape[] {
  const p = `${MODULE_PREFIX}.transformer.resblocks.${i}`;
  const { width, mlpDim } = config;
  return [
    { name: `${p}.attn.q_proj`, inFeatures: width, outFeatures: width },
    { name: `${p}.attn.k_proj`, inFeatures: width, outFeatures: width },
    { name: `${p}.attn.v_proj`, inFeatures: width, outFeatures: width },
    { name: `${p}.attn.out_proj`, inFeatures: width, outFeatures: width },
    { name: `${p}.mlp.c_fc`, inFeatures: width, outFeatures: mlpDim },
    { name: `${p}.mlp.c_proj`, inFeatures: mlpDim, outFeatures: width },
  ];
}

/** Every module an adapter for this model may target, with its shape (so libraries can generate compatible adapters). */
export function segmentationLoraModules(config: SegmentationConfig): ModuleShape[] {
  validateSegmentationConfig(config);
  const blocks = Array.from({ length: config.layers }, (_, i) => blockModules(config, i)).flat();
  return config.loraHead ? [...blocks, headModule(config)] : blocks;
}

function headModule(config: SegmentationConfig): ModuleShape {
  return { name: HEAD_MODULE, inFeatures: config.width, outFeatures: config.embedDim };
}

/** The adapter to bake in must target the model's modules with their shapes; returns them by name. */
function matchAdapter(config: SegmentationConfig, adapter: LoraAdapter): Map<string, LoraModule> {
  const shapes = new Map(segmentationLoraModules(config).map((m) => [m.name, m]));
  const byName = new Map<string, LoraModule>();
  for (const module of adapter.modules) {
    const shape = shapes.get(module.name);
    if (!shape) {
      throw new OnnxError("onnx.adapter-mismatch", `adapter module ${module.name} is not a LoRA target of the segmentation model`, { module: module.name });
    }
    if (module.inFeatures !== shape.inFeatures || module.outFeatures !== shape.outFeatures) {
      throw new OnnxError("onnx.adapter-mismatch", `adapter module ${module.name} is [${module.outFeatures}×${module.inFeatures}]; the model's is [${shape.outFeatures}×${shape.inFeatures}]`, {
        module: module.name,
      });
    }
    byName.set(module.name, module);
  }
  return byName;
}

export interface SegmentationBuildOptions {
  /** Bake W + scaling·B·A into the weights (to check the LoRA path against). */
  readonly bakedAdapter?: LoraAdapter;
  /** Whether the graph has the LoRA inputs; default: only when no adapter is baked in. */
  readonly loraInputs?: boolean;
  /** Initializers to use instead of the random ones, by name (`<module>.weight` [out, in], `<module>.bias`): fitted weights. */
  readonly weights?: ReadonlyMap<string, Float32Array>;
  /** Also output SEGMENTATION_FEATURES (the head's input), for fitting the head. */
  readonly featuresOutput?: boolean;
}

/** A linear whose weight may have an adapter baked in, or gets a LoRA path fed at run time. */
function loraLinear(params: Parameters, baked: ReadonlyMap<string, LoraModule>, loraInputs: boolean, given: ReadonlyMap<string, Float32Array>): LinearFactory {
  const g = params.graph;
  const fixed = (name: string, count: number): Float32Array | undefined => {
    const values = given.get(name);
    if (values && values.length !== count) {
      throw new OnnxError("onnx.config-invalid", `weights for ${name} hold ${values.length} values; the model needs ${count}`, { name });
    }
    return values?.slice();
  };
  return (x, layer) => {
    const { name, inFeatures, outFeatures } = layer;
    const values = fixed(`${name}.weight`, outFeatures * inFeatures) ?? normalWeights(params.seed, `${name}.weight`, outFeatures * inFeatures, layer.std);
    const module = baked.get(name);
    if (module) {
      const delta = denseDelta(module);
      for (let i = 0; i < values.length; i++) values[i] = values[i]! + delta[i]!;
    }
    const weight = g.initializer(`${name}.weight`, values, [outFeatures, inFeatures]);
    const givenBias = layer.bias ? fixed(`${name}.bias`, outFeatures) : undefined;
    const bias = !layer.bias ? null : givenBias ? g.initializer(`${name}.bias`, givenBias, [outFeatures]) : params.normal(`${name}.bias`, [outFeatures], BIAS_STD);
    const y = applyLinear(g, x, name, weight, bias);
    if (!loraInputs) return y;
    const inputs = loraInputNames(name);
    const a = g.input(inputs.a, "float32", [inputs.rank, inFeatures]);
    const b = g.input(inputs.b, "float32", [outFeatures, inputs.rank]);
    const down = g.matMul(x, g.transpose(a, [1, 0], `${name}/lora_AT`), `${name}/lora_down`);
    const up = g.matMul(down, g.transpose(b, [1, 0], `${name}/lora_BT`), `${name}/lora_up`);
    return g.add(y, up, `${name}/lora_Add`);
  };
}

/**
 * pixel_values float32 [batch, 3, S, S] and text_embeds float32 [classes, embedDim] (plus, with
 * loraInputs, `<module>.lora_A.weight` [rank, in] and `<module>.lora_B.weight` [out, rank] for each
 * of segmentationLoraModules) → logits float32 [batch, classes, S, S].
 */
export function buildSegmentationModel(config: SegmentationConfig, seed: number, options: SegmentationBuildOptions = {}): Graph {
  validateSegmentationConfig(config);
  const baked = options.bakedAdapter ? matchAdapter(config, options.bakedAdapter) : new Map<string, LoraModule>();
  const loraInputs = options.loraInputs ?? options.bakedAdapter === undefined;
  const { imageSize: size, patchSize: patch, width, embedDim } = config;
  const grid = size / patch;
  const g = new GraphBuilder("segmentation");
  const params = new Parameters(g, seed);
  const linear = loraLinear(params, baked, loraInputs, options.weights ?? new Map());
  const pixels = g.input(SEGMENTATION_PIXELS, "float32", ["batch", 3, size, size]);
  const text = g.input(SEGMENTATION_TEXT, "float32", ["classes", embedDim]);

  // Patch tokens (no class token: the head wants dense features) with learned positions.
  const convWeight = params.normal(`${MODULE_PREFIX}.conv1.weight`, [width, 3, patch, patch], 0.02);
  const patches = g.conv(pixels, convWeight, null, { kernelShape: [patch, patch], strides: [patch, patch] }, "conv1");
  const tokens = g.transpose(g.reshape(patches, [0, width, -1], "conv1/Flatten"), [0, 2, 1], "conv1/Tokens");
  let h = g.add(tokens, params.normal(`${MODULE_PREFIX}.positional_embedding`, [grid * grid, width], 0.02), "positional_embedding");
  h = layerNorm(params, h, `${MODULE_PREFIX}.ln_pre`, width, config.layerNormEps);
  for (let i = 0; i < config.layers; i++) {
    const [q, k, v, out, fc1, fc2] = blockModules(config, i).map((m) => m.name) as [string, string, string, string, string, string];
    const p = `${MODULE_PREFIX}.transformer.resblocks.${i}`;
    h = preLnTransformerBlock(params, h, { ...config, names: { ln1: `${p}.ln_1`, q, k, v, out, ln2: `${p}.ln_2`, fc1, fc2 }, linear });
  }

  // Cosine similarity of each patch feature with each class embedding, scaled.
  const post = layerNorm(params, h, `${MODULE_PREFIX}.ln_post`, width, config.layerNormEps);
  if (options.featuresOutput) g.output(post, SEGMENTATION_FEATURES, "float32", ["batch", grid * grid, width]);
  const projected = config.loraHead
    ? linear(post, { name: HEAD_MODULE, inFeatures: width, outFeatures: embedDim, bias: true, std: width ** -0.5 })
    : g.matMul(post, params.normal(`${MODULE_PREFIX}.proj`, [width, embedDim], width ** -0.5), "proj");
  const features = l2Normalize(g, projected, "features");
  const classes = g.transpose(l2Normalize(g, text, "text_normalize"), [1, 0], "text/T");
  const scores = g.mul(g.matMul(features, classes, "similarity"), g.float32(config.logitScale, "logit_scale"), "scores"); // [batch, patches, classes]
  const coarse = g.reshape(g.transpose(scores, [0, 2, 1], "scores/T"), [0, 0, grid, grid], "coarse_logits");
  const logits = g.resize(coarse, [1, 1, patch, patch], { mode: "linear", coordinateTransformationMode: "half_pixel" }, "upsample");
  g.output(logits, SEGMENTATION_OUTPUT, "float32", ["batch", "classes", size, size]);
  return g.build();
}

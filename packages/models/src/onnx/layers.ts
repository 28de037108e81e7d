import { OnnxError } from "./errors.js";
import type { GraphBuilder } from "./graph.js";
import type { Parameters } from "./weights.js";

/**
 * Transformer building blocks shared by the CLIP image encoder and the segmentation stand-in. Weights
 * keep PyTorch's layouts and names (a Linear's weight is [out, in]); the graph multiplies by its
 * Transpose, which ONNX Runtime folds into a constant when it loads the model.
 */

/** One linear layer y = x·Wᵀ + b, by parameter-name prefix (`<name>.weight`, `<name>.bias`). */
export interface LinearLayer {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  /** Standard deviation of W's random init. */
  readonly std: number;
}

/** Builds a linear layer on x; models swap it to add LoRA paths or bake adapters in. */
export type LinearFactory = (x: string, layer: LinearLayer) => string;

/** Random bias init: small, but non-zero so every bias is wired visibly. */
export const BIAS_STD = 0.02;

/** y = x·Wᵀ + b, W and b given as graph values. */
export function applyLinear(g: GraphBuilder, x: string, name: string, weight: string, bias: string | null): string {
  const y = g.matMul(x, g.transpose(weight, [1, 0], `${name}/WT`), `${name}/MatMul`);
  return bias === null ? y : g.add(y, bias, `${name}/Add`);
}

/** A plain linear layer with random weights. */
export function denseLinear(params: Parameters): LinearFactory {
  return (x, layer) => {
    const weight = params.normal(`${layer.name}.weight`, [layer.outFeatures, layer.inFeatures], layer.std);
    const bias = layer.bias ? params.normal(`${layer.name}.bias`, [layer.outFeatures], BIAS_STD) : null;
    return applyLinear(params.graph, x, layer.name, weight, bias);
  };
}

/** LayerNorm over the last axis with weight 1 and bias 0 (PyTorch's init). */
export function layerNorm(params: Parameters, x: string, name: string, width: number, epsilon: number): string {
  const weight = params.filled(`${name}.weight`, [width], 1);
  const bias = params.filled(`${name}.bias`, [width], 0);
  return params.graph.layerNormalization(x, weight, bias, { axis: -1, epsilon }, name);
}

/** CLIP's activation: x·sigmoid(1.702·x). */
export function quickGelu(g: GraphBuilder, x: string, name: string): string {
  const scaled = g.mul(x, g.float32(1.702, `${name}/1.702`), `${name}/Scale`);
  return g.mul(x, g.sigmoid(scaled, `${name}/Sigmoid`), name);
}

/** Parameter-name prefixes of one pre-LN transformer block. */
export interface BlockNames {
  readonly ln1: string;
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly out: string;
  readonly ln2: string;
  readonly fc1: string;
  readonly fc2: string;
}

export interface BlockSpec {
  readonly width: number;
  readonly heads: number;
  readonly mlpDim: number;
  readonly layers: number;
  readonly layerNormEps: number;
  readonly names: BlockNames;
  readonly linear: LinearFactory;
}

/**
 * Initial standard deviations of CLIP's projections (transformers' CLIPPreTrainedModel._init_weights
 * with factor 1): fan-in scaled, so activations keep unit scale through the residual stream.
 */
export function clipInitStd(width: number, layers: number) {
  const inProj = width ** -0.5 * (2 * layers) ** -0.5;
  return { qkv: inProj, out: width ** -0.5, fc1: (2 * width) ** -0.5, fc2: inProj };
}

/**
 * h + MHSA(LN1(h)), then h + MLP(LN2(h)), on tokens [batch, tokens, width]; q is scaled by
 * head_dim^-0.5 (after its bias, as CLIP does) and the MLP is fc1 → QuickGELU → fc2.
 */
export function preLnTransformerBlock(params: Parameters, h: string, spec: BlockSpec): string {
  const g = params.graph;
  const { width, heads, mlpDim, names, linear } = spec;
  if (width % heads !== 0) throw new OnnxError("onnx.config-invalid", `width ${width} is not divisible by ${heads} heads`, { width, heads });
  const headDim = width / heads;
  const std = clipInitStd(width, spec.layers);
  const projection = (x: string, name: string, inFeatures: number, outFeatures: number, s: number) => linear(x, { name, inFeatures, outFeatures, bias: true, std: s });

  const x = layerNorm(params, h, names.ln1, width, spec.layerNormEps);
  const q = g.mul(projection(x, names.q, width, width, std.qkv), g.float32(headDim ** -0.5, `${names.q}/scale`), `${names.q}/Scaled`);
  const k = projection(x, names.k, width, width, std.qkv);
  const v = projection(x, names.v, width, width, std.qkv);
  // [batch, tokens, width] → [batch, heads, tokens, headDim] (k as [batch, heads, headDim, tokens]).
  const split = (t: string, perm: readonly number[], name: string) => g.transpose(g.reshape(t, [0, 0, heads, headDim], `${name}/Split`), perm, `${name}/Heads`);
  const scores = g.matMul(split(q, [0, 2, 1, 3], names.q), split(k, [0, 2, 3, 1], names.k), `${names.q}/Scores`);
  const probabilities = g.softmax(scores, -1, `${names.q}/Softmax`);
  const context = g.matMul(probabilities, split(v, [0, 2, 1, 3], names.v), `${names.v}/Context`);
  const merged = g.reshape(g.transpose(context, [0, 2, 1, 3], `${names.v}/Merge`), [0, 0, width], `${names.v}/Merged`);
  const attended = g.add(h, projection(merged, names.out, width, width, std.out), `${names.out}/Residual`);

  const y = layerNorm(params, attended, names.ln2, width, spec.layerNormEps);
  const hidden = quickGelu(g, projection(y, names.fc1, width, mlpDim, std.fc1), `${names.fc1}/QuickGELU`);
  return g.add(attended, projection(hidden, names.fc2, mlpDim, width, std.fc2), `${names.fc2}/Residual`);
}

/** x / max(‖x‖₂, 1e-12) along the last axis. */
export function l2Normalize(g: GraphBuilder, x: string, name: string): string {
  const norm = g.sqrt(g.reduceSum(g.mul(x, x, `${name}/Square`), [-1], true, `${name}/Sum`), `${name}/Norm`);
  return g.div(x, g.max(norm, g.float32(1e-12, `${name}/eps`), `${name}/Clamp`), name);
}

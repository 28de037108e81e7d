import { type LoraAdapter, linalg } from "@semla/core";
import { onnx } from "@semla/models";
import { NUM_WORLD_CLASSES, WORLD_CLASSES } from "../generator/classes.js";
import { encodedSamples } from "../samples.js";
import type { WorldSpec } from "../spec.js";
import { singleModuleAdapter } from "./adapter.js";
import { classTextEmbeddings, PatchFeatureExtractor } from "./features.js";
import { lowRankFactors } from "./low-rank.js";
import { relativeLambda, ridgeFit } from "./ridge.js";
import { patchClassFractions, textPseudoInverse } from "./targets.js";

/** The base model adapters of this world are trained on (PEFT's base_model_name_or_path; the library checks it). */
export function worldBaseModelId(spec: WorldSpec, seed: number): string {
  return `semla/${spec.name}-segmentation-seed${seed}`;
}

/** The fitted head of the base model and one adapter per domain. */
export interface WorldFit {
  /** HEAD_MODULE's weight [embedDim, width] and bias [embedDim], fitted on the source domain. */
  readonly head: { readonly weight: Float32Array; readonly bias: Float32Array };
  readonly adapters: ReadonlyMap<string, LoraAdapter>;
}

export type FitProgress = (message: string) => void;

/** Features X [n·patches, width] and targets Y [n·patches, embedDim] of one domain's training split. */
async function domainProblem(spec: WorldSpec, seed: number, domain: string, extractor: PatchFeatureExtractor, pinv: linalg.Matrix) {
  const { segmentation } = spec.models;
  const grid = segmentation.imageSize / segmentation.patchSize;
  const classes = NUM_WORLD_CLASSES;
  const samples = await encodedSamples(spec, seed, domain, "train", spec.trainImages);
  const x = await extractor.features(samples.map((s) => s.png));
  const fractions = new Float64Array(samples.length * grid * grid * classes);
  samples.forEach((s, i) => {
    fractions.set(patchClassFractions(s.labels, s.height, s.width, grid, classes), i * grid * grid * classes);
  });
  const y = linalg.matmul(linalg.matrix(samples.length * grid * grid, classes, fractions), pinv, { transposeB: true });
  return { x, y };
}

/**
 * The closed-form fit. Base: ridge least squares of the head (weight and bias) on the source
 * domain's patches. Each domain d: W_d by ridge towards W_base on d's training patches, the bias
 * kept (LoRA adapts weights only), then ΔW = W_d − W_base truncated by SVD to the spec's rank.
 */
export async function fitWorld(spec: WorldSpec, seed: number, onProgress: FitProgress = () => undefined): Promise<WorldFit> {
  const { segmentation, textEncoder, seeds } = spec.models;
  const { width, embedDim } = segmentation;
  const text = await classTextEmbeddings(
    textEncoder,
    seeds.textEncoder,
    WORLD_CLASSES.map((c) => c.name),
  );
  const pinv = textPseudoInverse(text, NUM_WORLD_CLASSES, embedDim);
  const extractor = await PatchFeatureExtractor.create(segmentation, seeds.segmentation);
  try {
    const source = await domainProblem(spec, seed, spec.source, extractor, pinv);
    // A constant feature carries the bias: [X | 1]·[W | b]ᵀ.
    const n = source.x.rows;
    const augmented = linalg.matrix(n, width + 1);
    for (let r = 0; r < n; r++) {
      augmented.data.set(source.x.data.subarray(r * width, (r + 1) * width), r * (width + 1));
      augmented.data[r * (width + 1) + width] = 1;
    }
    const fitted = ridgeFit(augmented, source.y, relativeLambda(augmented, spec.baseRidge));
    const weight = new Float32Array(embedDim * width);
    const bias = new Float32Array(embedDim);
    for (let o = 0; o < embedDim; o++) {
      for (let i = 0; i < width; i++) weight[o * width + i] = fitted.data[o * (width + 1) + i]!;
      bias[o] = fitted.data[o * (width + 1) + width]!;
    }
    onProgress(`fitted the base head on ${spec.source} (${spec.trainImages} images, ${n} patches)`);
    const base = linalg.matrix(embedDim, width, weight);

    const adapters = new Map<string, LoraAdapter>();
    const baseModel = worldBaseModelId(spec, seed);
    for (const domain of spec.domains) {
      const { x, y } = await domainProblem(spec, seed, domain, extractor, pinv);
      for (let r = 0; r < y.rows; r++) for (let o = 0; o < embedDim; o++) y.data[r * embedDim + o]! -= bias[o]!;
      const wd = ridgeFit(x, y, relativeLambda(x, spec.domainRidge), base);
      const delta = new Float64Array(wd.data.length);
      for (let i = 0; i < delta.length; i++) delta[i] = wd.data[i]! - weight[i]!;
      const factors = lowRankFactors(delta, embedDim, width, spec.rank);
      adapters.set(domain, singleModuleAdapter({ name: onnx.HEAD_MODULE, inFeatures: width, outFeatures: embedDim }, factors, baseModel));
      onProgress(`fitted the ${domain} adapter (rank ${factors.rank})`);
    }
    return { head: { weight, bias }, adapters };
  } finally {
    await extractor.release();
  }
}

/** The segmentation graph with the fitted head baked in (LoRA inputs kept: adapters are applied at run time). */
export function fittedSegmentationGraph(spec: WorldSpec, fit: WorldFit): onnx.Graph {
  const weights = new Map([
    [`${onnx.HEAD_MODULE}.weight`, fit.head.weight],
    [`${onnx.HEAD_MODULE}.bias`, fit.head.bias],
  ]);
  return onnx.buildSegmentationModel(spec.models.segmentation, spec.models.seeds.segmentation, { weights, loraInputs: true });
}

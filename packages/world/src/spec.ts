import { onnx } from "@semla/models";
import { WORLD_DOMAIN_NAMES } from "./generator/domains.js";

/**
 * What a world library is made of: the three models (a segmentation model whose head is a LoRA
 * target, so it can be fitted in closed form), the scenes' size and counts, and the fit's settings.
 * Everything is deterministic from the spec and a seed.
 */
export interface WorldSpec {
  readonly name: string;
  readonly models: onnx.ModelPreset;
  /** Side of the generated scenes, in pixels. */
  readonly imageSize: number;
  readonly trainImages: number;
  readonly testImages: number;
  /** LoRA rank of each domain adapter (ΔW truncated by SVD). */
  readonly rank: number;
  /** Ridge strength of the base fit and of the domain fits (towards the base), relative to the features' scale. */
  readonly baseRidge: number;
  readonly domainRidge: number;
  /** The source domain the base head is fitted on (no adapter). */
  readonly source: string;
  /** Domains with an adapter in the library, and the evaluation's targets. */
  readonly domains: readonly string[];
}

const SHIFTED = WORLD_DOMAIN_NAMES.filter((name) => name !== "clean");
const SEEDS = { clipVision: 2001, textEncoder: 2002, segmentation: 2003 } as const;

/**
 * For tests: 32-pixel scenes, the tiny encoders on an 8×8 patch grid (4-pixel patches: the routing
 * encoder has to see rain streaks, snow specks and noise to tell those domains apart); fits and
 * evaluates in seconds.
 */
export const WORLD_TINY: WorldSpec = {
  name: "world-tiny",
  models: {
    name: "world-tiny",
    clipVision: { ...onnx.CLIP_VISION_TINY, patchSize: 4, projectionDim: 32 },
    textEncoder: onnx.TEXT_ENCODER_TINY,
    segmentation: { ...onnx.SEGMENTATION_TINY, patchSize: 4, loraHead: true },
    seeds: SEEDS,
  },
  imageSize: 32,
  trainImages: 8,
  testImages: 3,
  rank: 4,
  baseRidge: 1e-3,
  domainRidge: 1e-2,
  source: "clean",
  domains: SHIFTED,
};

/** The embedded default's demo library: 64-pixel scenes, small models; generated in seconds on two cores. */
export const WORLD_DEMO: WorldSpec = {
  name: "world-demo",
  models: {
    name: "world-demo",
    clipVision: { ...onnx.CLIP_VISION_TINY, imageSize: 64, patchSize: 16, width: 64, heads: 4, mlpDim: 128, projectionDim: 64 },
    textEncoder: { ...onnx.TEXT_ENCODER_TINY, width: 64, embedDim: 32 },
    segmentation: { ...onnx.SEGMENTATION_TINY, imageSize: 64, patchSize: 8, width: 96, heads: 4, mlpDim: 192, embedDim: 32, loraHead: true },
    seeds: SEEDS,
  },
  imageSize: 64,
  trainImages: 24,
  testImages: 6,
  rank: 8,
  baseRidge: 1e-3,
  domainRidge: 1e-2,
  source: "clean",
  domains: SHIFTED,
};

export const WORLD_SPECS = { tiny: WORLD_TINY, demo: WORLD_DEMO } as const;
export type WorldSpecName = keyof typeof WORLD_SPECS;

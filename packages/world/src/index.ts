export { fittedSegmentationGraph, fitWorld, type WorldFit, worldBaseModelId } from "./fit/fit-world.js";
export { lowRankFactors } from "./fit/low-rank.js";
export { relativeLambda, ridgeFit } from "./fit/ridge.js";
export { patchClassFractions, textPseudoInverse } from "./fit/targets.js";
export * as generator from "./generator/index.js";
export * from "./library.js";
export * from "./samples.js";
export * from "./spec.js";

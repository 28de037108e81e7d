export * as generator from "./generator/index.js";
export * from "./spec.js";
export * from "./samples.js";
export * from "./library.js";
export { fitWorld, fittedSegmentationGraph, worldBaseModelId, type WorldFit } from "./fit/fit-world.js";
export { ridgeFit, relativeLambda } from "./fit/ridge.js";
export { lowRankFactors } from "./fit/low-rank.js";
export { patchClassFractions, textPseudoInverse } from "./fit/targets.js";

/** Out-of-library detection on held-out domains: libraries built without them, fusion vs the zeroshot fallback. */
export * from "./experiment.js";
export * from "./held-out-library.js";
export * from "./report.js";
export * from "./world.js";

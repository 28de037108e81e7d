/** Synthetic multi-domain world: procedural labelled scenes under named visual domain shifts. */
export * from "./classes.js";
export * from "./scene.js";
export * from "./shifts.js";
export * from "./domains.js";
export * from "./dataset.js";
export * from "./stats.js";

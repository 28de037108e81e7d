/**
 * The synthetic world's generator: procedural labelled scenes under named visual domain shifts, and
 * CLIP-like domain embeddings for demos and benchmarks. Deterministic from a seed; no I/O.
 */
export * from "./classes.js";
export * from "./dataset.js";
export * from "./domain-embeddings.js";
export * from "./domains.js";
export * from "./scene.js";
export * from "./shifts.js";
export * from "./stats.js";

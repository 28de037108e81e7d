// Test and benchmark support, exported as @semla/registry/testing (never imported by production code).

export { newAdapter, newLibrary, uniqueTenant } from "../db/contract-fixtures.js";
export { createHnswIndex, hnswIndexName } from "../db/hnsw.js";
export { defaultEfSearch } from "../db/nearest.js";
export { createScratchDatabase, type ScratchDatabase } from "../db/scratch-database.js";
export { toVectorLiteral } from "../db/vector.js";
export * from "./harness.js";

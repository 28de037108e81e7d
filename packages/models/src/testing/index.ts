export * from "./fixtures.js";
export * from "./torch-export-pack.js";

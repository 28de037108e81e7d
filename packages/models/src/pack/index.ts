export * from "./errors.js";
export * from "./generate.js";
export * from "./json-schema.js";
export * from "./manifest.js";
export * from "./open-pack.js";
export { writePackFile, writePackManifest } from "./write-pack.js";

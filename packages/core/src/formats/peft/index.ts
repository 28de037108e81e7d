export * from "./config.js";
export * from "./errors.js";
export * from "./patterns.js";
export * from "./read-adapter.js";
export * from "./tensor-names.js";
export * from "./write-adapter.js";

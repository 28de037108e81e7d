// Test support for this package and its users (the backends', the endpoint's tests).
export { countingFsStore, type CountingStore } from "./counting-store.js";
export { MODULES, safetensorsOf, smallAdapter, sourceObjectKey, sourcesOf } from "./fixtures.js";

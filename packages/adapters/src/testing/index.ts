// Test support for this package and its users (the backends', the endpoint's tests).
export { type CountingStore, countingFsStore, countingStoreWith } from "./counting-store.js";
export { MODULES, safetensorsOf, smallAdapter, sourceObjectKey, sourcesOf } from "./fixtures.js";

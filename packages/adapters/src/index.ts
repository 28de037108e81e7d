// The unit's surface is createAdapters: one instance per process, so every path shares one cache.

export { type Adapters, type AdaptersOptions, createAdapters } from "./adapters.js";
export type { AdapterCacheStats } from "./cache/adapter-cache.js";
export * from "./errors.js";
export { catManifestSha256, mixtureSha256 } from "./identity/names.js";
export { adapterByteSize } from "./identity/size.js";
export { readStoredWeights } from "./source/source.js";
export * from "./types.js";

export * from "./blob/blob-store.js";
export { BlobStoreError, type BlobStoreRule } from "./blob/errors.js";
export * from "./blob/fs-presign.js";
export { createFsBlobStore, type FsBlobStoreOptions, fsOutage } from "./blob/fs-store.js";
export { type BlobOutageClassifier, guardBlobOutages, storeUnavailable } from "./blob/outage.js";
export { createS3BlobStore, S3_TIMEOUT_DEFAULTS, type S3BlobStoreOptions, s3Outage } from "./blob/s3-store.js";
export * from "./keys/object-keys.js";
export * from "./lru/lru.js";
export * from "./sha256/sha256.js";

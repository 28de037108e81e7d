export * from "./blob/blob-store.js";
export { createS3BlobStore, s3Outage, S3_TIMEOUT_DEFAULTS, type S3BlobStoreOptions } from "./blob/s3-store.js";
export { createFsBlobStore, fsOutage, type FsBlobStoreOptions } from "./blob/fs-store.js";
export { BlobStoreError, type BlobStoreRule } from "./blob/errors.js";
export { guardBlobOutages, storeUnavailable, type BlobOutageClassifier } from "./blob/outage.js";
export * from "./blob/fs-presign.js";
export * from "./keys/object-keys.js";
export * from "./lru/lru.js";
export * from "./sha256/sha256.js";

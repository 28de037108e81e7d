import { createFsBlobStore, createS3BlobStore, type BlobStore } from "@semla/storage";
import type { EndpointConfig } from "./config.js";

/** The object store by-reference adapters are read from; none means only inline adapters work. */
export function createAdapterStore(config: EndpointConfig["store"]): BlobStore | undefined {
  switch (config.kind) {
    case "s3":
      return createS3BlobStore({
        bucket: config.bucket,
        ...(config.region ? { region: config.region } : {}),
        // A custom endpoint is an S3-compatible server (MinIO, s3rver): those want path-style URLs.
        ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
      });
    case "fs":
      return createFsBlobStore({ root: config.root });
    case "none":
      return undefined;
  }
}

export function describeStore(config: EndpointConfig["store"]): string {
  switch (config.kind) {
    case "s3":
      return `s3://${config.bucket}${config.endpoint ? ` at ${config.endpoint}` : ""}`;
    case "fs":
      return config.root;
    case "none":
      return "none (only inline adapters can be served)";
  }
}

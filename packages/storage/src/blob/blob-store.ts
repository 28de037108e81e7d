import type { ByteSource } from "@semla/core";

export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface PresignedPut {
  readonly url: string;
  readonly method: "PUT";
  /** Headers the client must send with the PUT. */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

/**
 * Object storage as small as Hono's Router: get (whole or a byte range), put, head, delete, list,
 * presigned PUT. Keys are built by the service (see object-keys.ts), never taken from users.
 * Implementations: S3 (production, s3rver in tests) and the filesystem (the embedded default).
 */
export interface BlobStore {
  readonly kind: "s3" | "fs";
  /** Rejects with BlobNotFoundError when the key does not exist. */
  get(key: string, range?: ByteRange): Promise<Uint8Array>;
  /** Atomic: readers see the whole object or none. Large bodies go up in parts. */
  put(key: string, body: Uint8Array, options?: { contentType?: string }): Promise<void>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<BlobInfo>;
  presignPut(key: string, options: { expiresInSeconds: number; contentType?: string; contentLength?: number }): Promise<PresignedPut>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object ${key} does not exist`);
    this.name = "BlobNotFoundError";
  }
}

/** A ByteSource over one stored object: parsers read its header and tensors by range. */
export function blobSource(store: BlobStore, key: string, size: number): ByteSource {
  return {
    size,
    read: (offset, length) => (length === 0 ? Promise.resolve(new Uint8Array(0)) : store.get(key, { offset, length })),
  };
}

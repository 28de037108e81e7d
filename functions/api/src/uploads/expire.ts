import type { BlobStore } from "@semla/storage";
import { UPLOADS_PREFIX } from "./upload-store.js";

/** How long an upload may wait for completion before the embedded default removes it. */
export const UPLOAD_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Removes uploads older than `maxAgeMs`: what S3's lifecycle rule does for a bucket, done at start
 * by the embedded default, whose filesystem store has no lifecycle of its own. Returns the keys removed.
 */
export async function expireUploads(store: BlobStore, { maxAgeMs = UPLOAD_MAX_AGE_MS, now = new Date() } = {}): Promise<string[]> {
  const removed: string[] = [];
  for await (const object of store.list(UPLOADS_PREFIX)) {
    if (now.getTime() - object.lastModified.getTime() <= maxAgeMs) continue;
    await store.delete(object.key);
    removed.push(object.key);
  }
  return removed;
}

import { isSemlaError } from "@semla/core";
import type { BlobStore } from "./blob-store.js";
import { BlobStoreError } from "./errors.js";

/** A store driver's reading of an error: the reason it is an outage (a short code), or undefined. */
export type BlobOutageClassifier = (error: unknown) => string | undefined;

export function storeUnavailable(kind: BlobStore["kind"], reason: string): BlobStoreError {
  return new BlobStoreError("unavailable", `the object store is unavailable (${reason}); try again shortly`, { store: kind, reason });
}

/**
 * The store with every operation's failure read by its driver's classifier: an outage becomes
 * `store.unavailable` (503 with Retry-After); BlobNotFoundError, range errors and everything else
 * pass through unchanged.
 */
export function guardBlobOutages(store: BlobStore, classify: BlobOutageClassifier): BlobStore {
  const translate = (error: unknown): unknown => {
    if (isSemlaError(error)) return error;
    const reason = classify(error);
    return reason === undefined ? error : storeUnavailable(store.kind, reason);
  };
  async function guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw translate(error);
    }
  }
  return {
    kind: store.kind,
    get: (key, range) => guarded(() => store.get(key, range)),
    put: (key, body, options) => guarded(() => store.put(key, body, options)),
    head: (key) => guarded(() => store.head(key)),
    delete: (key) => guarded(() => store.delete(key)),
    presignPut: (key, options) => guarded(() => store.presignPut(key, options)),
    async *list(prefix) {
      try {
        yield* store.list(prefix);
      } catch (error) {
        throw translate(error);
      }
    },
  };
}

// A filesystem blob store in a temp folder that counts its calls: which paths touch the store.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BlobStore, createFsBlobStore } from "@semla/storage";

export interface CountingStore extends BlobStore {
  readonly calls: { get: number; put: number; head: number };
  remove(): Promise<void>;
}

export async function countingFsStore(): Promise<CountingStore> {
  const root = await mkdtemp(join(tmpdir(), "semla-adapters-"));
  const store = createFsBlobStore({ root });
  const calls = { get: 0, put: 0, head: 0 };
  return {
    kind: store.kind,
    calls,
    get: (key, range) => {
      calls.get++;
      return store.get(key, range);
    },
    put: (key, body, options) => {
      calls.put++;
      return store.put(key, body, options);
    },
    head: (key) => {
      calls.head++;
      return store.head(key);
    },
    delete: (key) => store.delete(key),
    list: (prefix) => store.list(prefix),
    presignPut: (key, options) => store.presignPut(key, options),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** A counting store holding these sources' files under their object keys, its counters at zero. */
export async function countingStoreWith(sources: readonly { readonly objectKey: string }[], files: readonly Uint8Array[]): Promise<CountingStore> {
  const store = await countingFsStore();
  for (const [i, source] of sources.entries()) await store.put(source.objectKey, files[i]!);
  store.calls.get = store.calls.put = store.calls.head = 0;
  return store;
}

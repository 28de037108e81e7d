import { bytesSource, type LoraAdapter, peft } from "@semla/core";
import { BlobNotFoundError, type BlobStore, sha256Hex } from "@semla/storage";
import { AdapterError } from "../errors.js";
import type { StoredAdapter } from "../types.js";

/**
 * Reads a stored adapter by content: the whole object (its sha256 is checked over every byte, so
 * a ranged read would save nothing), verified against the sha256 that names it, then parsed.
 * A missing or altered object is the service's own failure (AdapterError, kind internal).
 */
export async function readStoredAdapter(store: BlobStore, stored: StoredAdapter, what = `adapter ${stored.sha256}`): Promise<LoraAdapter> {
  const bytes = await readStoredWeights(store, stored, what);
  return peft.readLoraAdapter({ config: stored.config, weights: bytesSource(bytes) });
}

/**
 * A stored adapter's adapter_model.safetensors, byte for byte as registered: verified against the
 * sha256 that names it, as loading does (AdapterError missing-object | integrity otherwise).
 */
export async function readStoredWeights(store: BlobStore, stored: Pick<StoredAdapter, "sha256" | "objectKey">, what = `adapter ${stored.sha256}`): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await store.get(stored.objectKey);
  } catch (error) {
    if (error instanceof BlobNotFoundError) {
      throw new AdapterError("missing-object", `the weights of ${what} are missing from the object store (${stored.objectKey})`, { sha256: stored.sha256, objectKey: stored.objectKey });
    }
    throw error;
  }
  const actual = sha256Hex(bytes);
  if (actual !== stored.sha256) {
    throw new AdapterError("integrity", `the weights of ${what} do not match their sha256 (expected ${stored.sha256}, got ${actual})`, {
      expected: stored.sha256,
      actual,
      objectKey: stored.objectKey,
    });
  }
  return bytes;
}

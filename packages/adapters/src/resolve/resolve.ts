import { bytesSource, type LoraAdapter, peft } from "@semla/core";
import { type BlobStore, sha256Hex } from "@semla/storage";
import type { AdapterCache } from "../cache/adapter-cache.js";
import { AdapterReferenceError } from "../errors.js";
import { catManifestSha256 } from "../identity/names.js";
import { merge } from "../merge/merge.js";
import { readStoredAdapter } from "../source/source.js";
import type { AdapterReference, AdapterSource, ResolvedAdapter } from "../types.js";

export interface ResolveDeps {
  readonly cache: AdapterCache;
  readonly store: BlobStore | undefined;
  readonly load: (source: AdapterSource, options: { signal?: AbortSignal }) => Promise<LoraAdapter>;
}

/**
 * The receiving side of an AdapterReference (the endpoint): turns it into an adapter, verifying
 * every sha256 it is given, through the process's one cache, so a warm request reads no object
 * and fuses nothing. A reference that contradicts itself is the sender's fault (400); an object
 * the store does not hold as promised is the service's own (AdapterError, 500), as on every path.
 */
export function createResolve({ cache, store, load }: ResolveDeps) {
  function requireStore(kind: string): BlobStore {
    if (!store) throw new AdapterReferenceError("no-store", `a ${kind} adapter reference needs an object store and this endpoint has none configured`, { kind });
    return store;
  }

  return async function resolve(reference: AdapterReference, { signal }: { signal?: AbortSignal } = {}): Promise<ResolvedAdapter> {
    signal?.throwIfAborted();
    switch (reference.kind) {
      case "none":
        return { adapter: null, kind: "none", sha256: null, cached: false };
      case "inline": {
        // Verified on every request, cached or not: the sha256 is the sender's promise about these bytes.
        const actual = sha256Hex(reference.weights);
        if (actual !== reference.sha256) {
          throw new AdapterReferenceError("integrity", `the inline adapter weights do not match their sha256 (expected ${reference.sha256}, got ${actual})`, {
            expected: reference.sha256,
            actual,
          });
        }
        const { adapter, cached } = await cache.get(reference.sha256, () => peft.readLoraAdapter({ config: reference.config, weights: bytesSource(reference.weights) }), signal);
        return { adapter, kind: "inline", sha256: reference.sha256, cached };
      }
      case "object": {
        const objects = requireStore("object");
        const { adapter, cached } = await cache.get(reference.sha256, () => readStoredAdapter(objects, reference, `the fused adapter ${reference.sha256}`), signal);
        return { adapter, kind: "object", sha256: reference.sha256, cached };
      }
      case "cat": {
        // Checked before the cache: a manifest must not be served under a name that is not its own.
        const actual = catManifestSha256(reference.sources);
        if (actual !== reference.sha256) {
          throw new AdapterReferenceError("integrity", `the cat manifest does not match its sha256 (expected ${reference.sha256}, got ${actual})`, {
            expected: reference.sha256,
            actual,
          });
        }
        requireStore("cat");
        const mixture = { sources: reference.sources, options: { combination: "cat" as const } };
        const { adapter, cached } = await cache.get(reference.sha256, async () => merge(await Promise.all(reference.sources.map((source) => load(source, {}))), mixture), signal);
        return { adapter, kind: "cat", sha256: reference.sha256, cached };
      }
    }
  };
}

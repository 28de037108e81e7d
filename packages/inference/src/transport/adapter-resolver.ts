import { bytesSource, fusion, isSemlaError, peft, type LoraAdapter } from "@semla/core";
// The subpath, not the entry: the registry entry brings drizzle, pg and PGlite into the endpoint bundle.
import { AdapterCache } from "@semla/registry/adapter-cache";
import { BlobNotFoundError, sha256Hex, SizedLru, type BlobStore } from "@semla/storage";
import type { AdapterReference, CatSource } from "../types.js";
import { abortable } from "./abortable.js";
import { adapterByteSize } from "./adapter-size.js";
import { catManifestSha256 } from "./cat-manifest.js";
import { AdapterResolveError } from "./errors.js";

export interface ResolvedAdapter {
  readonly adapter: LoraAdapter | null;
  readonly kind: AdapterReference["kind"];
  readonly sha256: string | null;
  /** True when the adapter came from this resolver's cache; false when it was read or rebuilt for this call. */
  readonly cached: boolean;
}

export interface AdapterResolverStats {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
  readonly entries: number;
}

export interface AdapterResolver {
  resolve(reference: AdapterReference, options?: { signal?: AbortSignal }): Promise<ResolvedAdapter>;
  stats(): AdapterResolverStats;
}

export interface AdapterResolverOptions {
  /** Where by-reference adapters (cat sources, fused objects) are read; without one only none and inline resolve. */
  readonly store?: BlobStore;
  /** Budget of resolved adapters (F32 factors) in memory. Default 2 GiB. */
  readonly maxBytes?: number;
  /** Budget of the cat sources' cache (registry AdapterCache, counted in safetensors bytes). Default 1 GiB. */
  readonly sourceCacheBytes?: number;
}

const GiB = 1024 * 1024 * 1024;

/**
 * The endpoint side of AdapterReference (the local backend uses it too): turns a reference into an
 * adapter, verifying every sha256 it is given, and keeps the results in a byte-bounded LRU keyed by
 * sha256, so a warm request reads no object and fuses nothing. Concurrent resolves of one sha256
 * share one read or fusion.
 */
export function createAdapterResolver(options: AdapterResolverOptions = {}): AdapterResolver {
  const lru = new SizedLru<string, LoraAdapter>(options.maxBytes ?? 2 * GiB);
  const inflight = new Map<string, Promise<LoraAdapter>>();
  const sourceCache = options.store ? new AdapterCache(options.store, { maxBytes: options.sourceCacheBytes ?? GiB }) : undefined;
  let hits = 0;
  let misses = 0;

  function requireStore(kind: string): { store: BlobStore; sources: AdapterCache } {
    if (!options.store || !sourceCache) {
      throw new AdapterResolveError("no-store", `a ${kind} adapter reference needs an object store and this endpoint has none configured`, { kind });
    }
    return { store: options.store, sources: sourceCache };
  }

  async function cachedOr(sha256: string, build: () => Promise<LoraAdapter>, signal: AbortSignal | undefined): Promise<{ adapter: LoraAdapter; cached: boolean }> {
    const hit = lru.get(sha256);
    if (hit) {
      hits++;
      return { adapter: hit, cached: true };
    }
    misses++;
    let pending = inflight.get(sha256);
    if (!pending) {
      pending = build()
        .then((adapter) => {
          lru.set(sha256, adapter, adapterByteSize(adapter));
          return adapter;
        })
        .finally(() => inflight.delete(sha256));
      inflight.set(sha256, pending);
    }
    return { adapter: await abortable(pending, signal), cached: false };
  }

  async function parse(config: peft.PeftLoraConfig, weights: Uint8Array): Promise<LoraAdapter> {
    return peft.readLoraAdapter({ config, weights: bytesSource(weights) });
  }

  async function readObject(store: BlobStore, sha256: string, objectKey: string): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await store.get(objectKey);
    } catch (error) {
      if (error instanceof BlobNotFoundError) {
        throw new AdapterResolveError("missing-object", `the fused adapter ${sha256} is not in the object store (${objectKey})`, { sha256, objectKey });
      }
      throw error;
    }
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw new AdapterResolveError("integrity", `the object ${objectKey} does not match its sha256 (expected ${sha256}, got ${actual})`, { expected: sha256, actual, objectKey });
    }
    return bytes;
  }

  async function loadSource(sources: AdapterCache, source: CatSource, index: number): Promise<LoraAdapter> {
    try {
      return await sources.load({ id: source.sha256, sha256: source.sha256, objectKey: source.objectKey, config: source.config });
    } catch (error) {
      // The registry's integrity / missing-object errors, renamed for the one who sent the reference.
      if (isSemlaError(error) && (error.code === "registry.missing-object" || error.code === "registry.integrity")) {
        const rule = error.code === "registry.integrity" ? "integrity" : "missing-object";
        throw new AdapterResolveError(rule, `cat source #${index}: ${error.message}`, { source: index, sha256: source.sha256, objectKey: source.objectKey });
      }
      throw error;
    }
  }

  async function resolve(reference: AdapterReference, { signal }: { signal?: AbortSignal } = {}): Promise<ResolvedAdapter> {
    signal?.throwIfAborted();
    switch (reference.kind) {
      case "none":
        return { adapter: null, kind: "none", sha256: null, cached: false };
      case "inline": {
        // Verified on every request, cached or not: the sha256 is the client's promise about these bytes.
        const actual = sha256Hex(reference.weights);
        if (actual !== reference.sha256) {
          throw new AdapterResolveError("integrity", `the inline adapter weights do not match their sha256 (expected ${reference.sha256}, got ${actual})`, {
            expected: reference.sha256,
            actual,
          });
        }
        const { adapter, cached } = await cachedOr(reference.sha256, () => parse(reference.config, reference.weights), signal);
        return { adapter, kind: "inline", sha256: reference.sha256, cached };
      }
      case "object": {
        const { store } = requireStore("object");
        const { adapter, cached } = await cachedOr(reference.sha256, async () => parse(reference.config, await readObject(store, reference.sha256, reference.objectKey)), signal);
        return { adapter, kind: "object", sha256: reference.sha256, cached };
      }
      case "cat": {
        // Checked before the cache: a manifest must not be served under a name that is not its own.
        const actual = catManifestSha256(reference.sources);
        if (actual !== reference.sha256) {
          throw new AdapterResolveError("integrity", `the cat manifest does not match its sha256 (expected ${reference.sha256}, got ${actual})`, {
            expected: reference.sha256,
            actual,
          });
        }
        const { sources } = requireStore("cat");
        const { adapter, cached } = await cachedOr(
          reference.sha256,
          async () => {
            const adapters = await Promise.all(reference.sources.map((source, index) => loadSource(sources, source, index)));
            return fusion.fuseAdaptersAsync(
              adapters.map((adapter, index) => ({ adapter, weight: reference.sources[index]!.weight })),
              { combination: "cat" },
            );
          },
          signal,
        );
        return { adapter, kind: "cat", sha256: reference.sha256, cached };
      }
    }
  }

  return {
    resolve,
    stats: () => ({ hits, misses, bytes: lru.size, entries: lru.count }),
  };
}

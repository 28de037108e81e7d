import type { LoraAdapter } from "@semla/core";
import type { BlobStore } from "@semla/storage";
import { AdapterCache, type AdapterCacheStats } from "./cache/adapter-cache.js";
import { mixtureSha256 } from "./identity/names.js";
import { merge } from "./merge/merge.js";
import { createResolve } from "./resolve/resolve.js";
import { readStoredAdapter } from "./source/source.js";
import { type AdapterReference, type FusedAdapter, type Mixture, type ResolvedAdapter, type StageClock, type StoredAdapter, untimed } from "./types.js";

/**
 * The one adapter path of a process (as LoRAX's adapter sources + merges behind one manager, or
 * vLLM's LoRA model manager): source → one cache → merge, and resolve for references. Make one per
 * process and hand it to everything that needs adapters (the local backend, the SageMaker
 * backend's delivery, the endpoint), so an adapter is read, verified and parsed once.
 */
export interface Adapters {
  /** A stored adapter by content: from the cache, or read from the store and verified. */
  load(stored: StoredAdapter, options?: { signal?: AbortSignal }): Promise<LoraAdapter>;
  /**
   * The mixture fused, cached by its name (mixtureSha256): on a miss its sources are loaded (stage
   * `load`) and fused (stage `fuse`), timed by the caller's clock.
   */
  fuse(mixture: Mixture, options?: { signal?: AbortSignal; stage?: StageClock }): Promise<FusedAdapter>;
  /** An adapter reference (as the endpoint receives one) → the adapter. */
  resolve(reference: AdapterReference, options?: { signal?: AbortSignal }): Promise<ResolvedAdapter>;
  stats(): AdapterCacheStats;
}

export interface AdaptersOptions {
  /** Where stored adapters are read from; without one only inline references resolve. */
  readonly store?: BlobStore;
  /** Budget of the one cache, in bytes of F32 factors (sources and fused adapters together). Default 1 GiB. */
  readonly maxBytes?: number;
}

const GiB = 1024 * 1024 * 1024;

export function createAdapters(options: AdaptersOptions = {}): Adapters {
  const { store } = options;
  const cache = new AdapterCache({ maxBytes: options.maxBytes ?? GiB });

  async function load(stored: StoredAdapter, { signal }: { signal?: AbortSignal } = {}): Promise<LoraAdapter> {
    if (!store) throw new RangeError("these adapters have no object store to load from");
    return (await cache.get(stored.sha256, () => readStoredAdapter(store, stored), signal)).adapter;
  }

  async function fuse(mixture: Mixture, { signal, stage = untimed }: { signal?: AbortSignal; stage?: StageClock } = {}): Promise<FusedAdapter> {
    if (mixture.sources.length === 0) throw new RangeError("a mixture needs at least one source");
    const sha256 = mixtureSha256(mixture);
    const { adapter, cached } = await cache.get(
      sha256,
      async () => {
        const sources = await stage("load", () => Promise.all(mixture.sources.map((source) => load(source))));
        return stage("fuse", () => merge(sources, mixture));
      },
      signal,
    );
    return { adapter, sha256, cached };
  }

  const resolve = createResolve({ cache, store, load });

  return { load, fuse, resolve, stats: () => cache.stats() };
}

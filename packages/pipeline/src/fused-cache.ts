import { fusion, type LoraAdapter } from "@semla/core";
import { adapterByteSize, canonicalJson, type CatSource } from "@semla/inference";
import { SizedLru } from "@semla/storage";

/** One source of a fusion: the adapter, its content hash and its plan weight. */
export interface FusionSource {
  readonly adapter: LoraAdapter;
  readonly source: CatSource;
}

/**
 * Fused adapters by plan: the same sources with the same weights and options fuse to the same
 * adapter, so repeated plans (the oracle, the uniform merge, a re-sent image) fuse once. Bounded in
 * bytes; concurrent requests for one plan share one fusion.
 */
export class FusedAdapterCache {
  private readonly lru: SizedLru<string, LoraAdapter>;
  private readonly inflight = new Map<string, Promise<LoraAdapter>>();

  constructor(maxBytes: number) {
    this.lru = new SizedLru(maxBytes);
  }

  async fuse(sources: readonly FusionSource[], options: fusion.FusionOptions): Promise<{ adapter: LoraAdapter; cached: boolean }> {
    const key = canonicalJson({ options, sources: sources.map((s) => [s.source.sha256, s.source.weight]) });
    const hit = this.lru.get(key);
    if (hit) return { adapter: hit, cached: true };
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fusion
        // No caller's signal: the fusion is shared by every request waiting on this plan.
        .fuseAdaptersAsync(
          sources.map((s) => ({ adapter: s.adapter, weight: s.source.weight })),
          options,
        )
        .then((adapter) => {
          this.lru.set(key, adapter, adapterByteSize(adapter));
          return adapter;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return { adapter: await pending, cached: false };
  }
}

import type { LoraAdapter } from "@semla/core";
import { SizedLru } from "@semla/storage";
import { adapterByteSize } from "../identity/size.js";
import { abortable } from "./abortable.js";

export interface AdapterCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
  readonly entries: number;
}

/**
 * The process's one cache of parsed adapters: sources by the sha256 of their weights, fused and
 * resolved adapters by their name (a mixture's, a manifest's, an inline or fused object's sha256).
 * Bounded in bytes of F32 factors, least recently used out first, so warm requests touch no store
 * and fuse nothing. Concurrent misses on one name share one build; a caller's abort stops its own
 * wait, never the build others share.
 */
export class AdapterCache {
  private readonly lru: SizedLru<string, LoraAdapter>;
  private readonly inflight = new Map<string, Promise<LoraAdapter>>();
  private hits = 0;
  private misses = 0;

  constructor({ maxBytes }: { maxBytes: number }) {
    this.lru = new SizedLru(maxBytes);
  }

  stats(): AdapterCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.lru.size, entries: this.lru.count };
  }

  async get(name: string, build: () => Promise<LoraAdapter>, signal?: AbortSignal): Promise<{ adapter: LoraAdapter; cached: boolean }> {
    const hit = this.lru.get(name);
    if (hit) {
      this.hits++;
      return { adapter: hit, cached: true };
    }
    this.misses++;
    let pending = this.inflight.get(name);
    if (!pending) {
      pending = build()
        .then((adapter) => {
          this.lru.set(name, adapter, adapterByteSize(adapter));
          return adapter;
        })
        .finally(() => this.inflight.delete(name));
      this.inflight.set(name, pending);
    }
    return { adapter: await abortable(pending, signal), cached: false };
  }
}

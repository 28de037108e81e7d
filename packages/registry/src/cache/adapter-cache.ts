import { bytesSource, peft, type LoraAdapter } from "@semla/core";
import { BlobNotFoundError, sha256Hex, SizedLru, type BlobStore } from "@semla/storage";
import type { AdapterRecord } from "../db/adapter-index.js";
import { RegistryError } from "../errors.js";

export interface AdapterCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
  readonly entries: number;
}

/**
 * Parsed adapters in memory, keyed by the sha256 of their weights and bounded in bytes, so warm
 * requests never touch the object store. A load verifies the bytes against the sha256 (the key is a
 * promise about the content); concurrent loads of one adapter share a single fetch.
 */
export class AdapterCache {
  private readonly lru: SizedLru<string, LoraAdapter>;
  private readonly inflight = new Map<string, Promise<LoraAdapter>>();
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly store: BlobStore,
    { maxBytes = 1 << 30 }: { maxBytes?: number } = {},
  ) {
    this.lru = new SizedLru(maxBytes);
  }

  stats(): AdapterCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.lru.size, entries: this.lru.count };
  }

  async load(record: Pick<AdapterRecord, "id" | "sha256" | "objectKey" | "config">): Promise<LoraAdapter> {
    const cached = this.lru.get(record.sha256);
    if (cached) {
      this.hits++;
      return cached;
    }
    const pending = this.inflight.get(record.sha256);
    if (pending) return pending;
    this.misses++;
    const loading = this.fetch(record).finally(() => this.inflight.delete(record.sha256));
    this.inflight.set(record.sha256, loading);
    return loading;
  }

  private async fetch(record: Pick<AdapterRecord, "id" | "sha256" | "objectKey" | "config">): Promise<LoraAdapter> {
    let bytes: Uint8Array;
    try {
      bytes = await this.store.get(record.objectKey);
    } catch (error) {
      if (error instanceof BlobNotFoundError) {
        throw new RegistryError("missing-object", `the weights of adapter ${record.id} are missing from the object store (${record.objectKey})`, { adapterId: record.id });
      }
      throw error;
    }
    const actual = sha256Hex(bytes);
    if (actual !== record.sha256) {
      throw new RegistryError("integrity", `the weights of adapter ${record.id} do not match their sha256 (expected ${record.sha256}, got ${actual})`, {
        adapterId: record.id,
        expected: record.sha256,
        actual,
      });
    }
    const adapter = await peft.readLoraAdapter({ config: record.config, weights: bytesSource(bytes) });
    this.lru.set(record.sha256, adapter, bytes.byteLength);
    return adapter;
  }
}

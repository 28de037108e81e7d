/**
 * Least-recently-used cache of class-name text embeddings: the same few hundred names recur across
 * requests, and the text encoder need not see them again. Bounded by entries (embeddings are small
 * and equal-sized). A Map iterates in insertion order, so re-inserting on a hit keeps it LRU.
 */
export class TextEmbeddingCache {
  readonly capacity: number;
  private readonly entries = new Map<string, Float32Array>();

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`text cache capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  get(name: string): Float32Array | undefined {
    const value = this.entries.get(name);
    if (value !== undefined) {
      this.entries.delete(name);
      this.entries.set(name, value);
    }
    return value;
  }

  set(name: string, embedding: Float32Array): void {
    if (this.capacity === 0) return;
    this.entries.delete(name);
    this.entries.set(name, embedding);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

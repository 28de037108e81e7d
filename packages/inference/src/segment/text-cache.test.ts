import { describe, expect, it } from "vitest";
import { TextEmbeddingCache } from "./text-cache.js";

const v = (x: number) => Float32Array.of(x);

describe("TextEmbeddingCache", () => {
  it("evicts the least recently used name beyond its capacity", () => {
    const cache = new TextEmbeddingCache(2);
    cache.set("sky", v(1));
    cache.set("tree", v(2));
    expect(cache.get("sky")).toEqual(v(1)); // sky is now the most recent
    cache.set("road", v(3));
    expect(cache.size).toBe(2);
    expect(cache.get("tree")).toBeUndefined();
    expect(cache.get("sky")).toEqual(v(1));
    expect(cache.get("road")).toEqual(v(3));
  });

  it("keeps nothing with capacity 0 and refuses a negative capacity", () => {
    const cache = new TextEmbeddingCache(0);
    cache.set("sky", v(1));
    expect(cache.get("sky")).toBeUndefined();
    expect(() => new TextEmbeddingCache(-1)).toThrow(RangeError);
  });
});

import { describe, expect, it } from "vitest";
import { SizedLru } from "./lru.js";

describe("SizedLru", () => {
  it("evicts least recently used entries until the total size fits", () => {
    const lru = new SizedLru<string, number>(10);
    lru.set("a", 1, 4);
    lru.set("b", 2, 4);
    expect(lru.get("a")).toBe(1); // a is now the most recent
    lru.set("c", 3, 4); // 12 > 10: evicts b, the least recent
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual([1, undefined, 3]);
    expect([lru.size, lru.count]).toEqual([8, 2]);
  });

  it("does not keep an entry larger than the whole budget", () => {
    const lru = new SizedLru<string, number>(10);
    lru.set("a", 1, 4);
    lru.set("huge", 2, 11);
    expect([lru.get("huge"), lru.get("a"), lru.size]).toEqual([undefined, 1, 4]);
  });

  it("replacing a key updates its size", () => {
    const lru = new SizedLru<string, number>(10);
    lru.set("a", 1, 4);
    lru.set("a", 2, 6);
    expect([lru.get("a"), lru.size, lru.count]).toEqual([2, 6, 1]);
    expect(lru.delete("a")).toBe(true);
    expect([lru.size, lru.delete("a")]).toEqual([0, false]);
  });

  it("tells onEvict of each entry set pushes out, oldest first, and not of a delete", () => {
    const evicted: [string, number][] = [];
    const lru = new SizedLru<string, number>(10, (key, value) => evicted.push([key, value]));
    lru.set("a", 1, 4);
    lru.set("b", 2, 4);
    lru.get("a");
    lru.set("c", 3, 8);
    expect(evicted).toEqual([
      ["b", 2],
      ["a", 1],
    ]);
    lru.delete("c");
    expect(evicted).toHaveLength(2);
  });
});

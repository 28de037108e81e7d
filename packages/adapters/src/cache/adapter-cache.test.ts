import { describe, expect, it } from "vitest";
import { adapterByteSize } from "../identity/size.js";
import { smallAdapter } from "../testing/fixtures.js";
import { AdapterCache } from "./adapter-cache.js";

const a = smallAdapter(1);
const b = smallAdapter(2);
const c = smallAdapter(3);

describe("AdapterCache", () => {
  it("builds an adapter once: warm gets build nothing", async () => {
    const cache = new AdapterCache({ maxBytes: 1 << 20 });
    let builds = 0;
    const build = async () => (builds++, a);
    expect(await cache.get("a", build)).toEqual({ adapter: a, cached: false });
    expect(await cache.get("a", build)).toEqual({ adapter: a, cached: true });
    expect(builds).toBe(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, entries: 1, bytes: adapterByteSize(a) });
  });

  it("shares one build between concurrent gets of one name", async () => {
    const cache = new AdapterCache({ maxBytes: 1 << 20 });
    let builds = 0;
    const build = async () => (builds++, await new Promise((r) => setTimeout(r, 5)), a);
    const all = await Promise.all([cache.get("a", build), cache.get("a", build), cache.get("a", build)]);
    expect(new Set(all.map((r) => r.adapter)).size).toBe(1);
    expect(builds).toBe(1);
  });

  it("stays within its byte budget, evicting the least recently used adapter", async () => {
    const budget = adapterByteSize(a) + adapterByteSize(b);
    const cache = new AdapterCache({ maxBytes: budget });
    await cache.get("a", async () => a);
    await cache.get("b", async () => b);
    await cache.get("a", async () => a); // a is now the most recent
    await cache.get("c", async () => c); // evicts b
    expect(cache.stats().bytes).toBeLessThanOrEqual(budget);
    expect((await cache.get("a", async () => a)).cached).toBe(true);
    expect((await cache.get("b", async () => b)).cached).toBe(false);
  });

  it("keeps nothing of a failed build, and stops a caller's wait on its abort, not the shared build", async () => {
    const cache = new AdapterCache({ maxBytes: 1 << 20 });
    await expect(cache.get("x", async () => Promise.reject(new Error("broken")))).rejects.toThrow("broken");
    expect((await cache.get("x", async () => a)).cached).toBe(false);

    const controller = new AbortController();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const waiting = cache.get("slow", async () => (await slow, b), controller.signal);
    const other = cache.get("slow", async () => c);
    controller.abort(new Error("client went away"));
    await expect(waiting).rejects.toThrow("client went away");
    release();
    expect((await other).adapter).toBe(b);
  });
});

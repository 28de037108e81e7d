import { describe, expect, it } from "vitest";
import { BatchWindow } from "./batch-window.js";

type Run = { key: string; items: string[] };

function window(windowMs: number, maxBatch = 8, fail: (items: readonly string[]) => boolean = () => false) {
  const runs: Run[] = [];
  const batches = new BatchWindow<string, string, string>({
    windowMs,
    maxBatch,
    run: async (key, items) => {
      runs.push({ key, items: [...items] });
      if (fail(items)) throw new Error(`batch of ${items.join("+")} failed`);
      return items.map((item) => (item.startsWith("bad") ? { status: "rejected", reason: new Error(`${item} is bad`) } : { status: "fulfilled", value: `${key}:${item}` }));
    },
  });
  return { runs, batches };
}

describe("heterogeneous batching within a window", () => {
  it("runs the requests of one key that arrive within the window as one batch, each answered with its own result", async () => {
    const { runs, batches } = window(20);
    const answers = Promise.all([batches.submit("lib@1", "a"), batches.submit("lib@1", "b"), batches.submit("other@3", "c")]);
    expect(runs).toEqual([]); // waiting for the window
    expect(await answers).toEqual(["lib@1:a", "lib@1:b", "other@3:c"]);
    expect(runs).toEqual([
      { key: "lib@1", items: ["a", "b"] },
      { key: "other@3", items: ["c"] },
    ]);
    expect(batches.stats).toEqual({ batches: 2, items: 3, split: 0 });
  });

  it("closes a batch at maxBatch without waiting, and runs every request alone with window 0", async () => {
    const full = window(10_000, 2);
    expect(await Promise.all([full.batches.submit("k", "a"), full.batches.submit("k", "b")])).toEqual(["k:a", "k:b"]);
    expect(full.runs).toEqual([{ key: "k", items: ["a", "b"] }]);
    const none = window(0);
    await Promise.all([none.batches.submit("k", "a"), none.batches.submit("k", "b")]);
    expect(none.runs).toEqual([
      { key: "k", items: ["a"] },
      { key: "k", items: ["b"] },
    ]);
  });

  it("fails only the request whose item fails, and drops a request aborted while it waits", async () => {
    const { runs, batches } = window(10);
    const aborted = new AbortController();
    const settled = Promise.allSettled([batches.submit("k", "a"), batches.submit("k", "bad-image"), batches.submit("k", "c", aborted.signal)]);
    aborted.abort(new Error("client went away"));
    const [a, bad, c] = await settled;
    expect(a).toEqual({ status: "fulfilled", value: "k:a" });
    expect(bad).toMatchObject({ status: "rejected", reason: { message: "bad-image is bad" } });
    expect(c).toMatchObject({ status: "rejected", reason: { message: "client went away" } });
    expect(runs).toEqual([{ key: "k", items: ["a", "bad-image"] }]);
  });

  it("reruns a failed batch item by item, so only the requests that fail alone fail", async () => {
    const { runs, batches } = window(10, 8, (items) => items.includes("poison"));
    const [a, poison] = await Promise.allSettled([batches.submit("k", "a"), batches.submit("k", "poison")]);
    expect(a).toEqual({ status: "fulfilled", value: "k:a" });
    expect(poison).toMatchObject({ status: "rejected", reason: { message: "batch of poison failed" } });
    expect(runs.map((r) => r.items)).toEqual([["a", "poison"], ["a"], ["poison"]]);
    expect(batches.stats).toEqual({ batches: 3, items: 4, split: 1 });
  });

  it("refuses a negative window and a maxBatch below 1", () => {
    const run = async () => [];
    expect(() => new BatchWindow({ windowMs: -1, maxBatch: 1, run })).toThrow("windowMs must be ≥ 0, got -1");
    expect(() => new BatchWindow({ windowMs: 0, maxBatch: 0, run })).toThrow("maxBatch must be a positive integer, got 0");
  });
});

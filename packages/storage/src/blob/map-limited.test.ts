import { describe, expect, it } from "vitest";
import { mapLimited } from "./map-limited.js";

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("mapLimited", () => {
  it("returns results in index order, never running more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimited(10, 4, async (index) => {
      running++;
      peak = Math.max(peak, running);
      await tick((10 - index) % 3);
      running--;
      return index * index;
    });
    expect(results).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    expect(peak).toBe(4);
  });

  it("handles nothing to do", async () => {
    expect(await mapLimited(0, 4, () => Promise.resolve(1))).toEqual([]);
  });

  it("after a failure starts nothing new, and rejects only once the running tasks have settled", async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const outcome = mapLimited(10, 3, async (index) => {
      started.push(index);
      if (index === 1) {
        await tick(1);
        settled.push(index);
        throw new Error("part 2 failed");
      }
      await tick(20);
      settled.push(index);
      return index;
    });
    await expect(outcome).rejects.toThrow("part 2 failed");
    expect(started).toEqual([0, 1, 2]);
    expect(settled.sort()).toEqual([0, 1, 2]);
  });

  it("refuses a limit below one", async () => {
    await expect(mapLimited(3, 0, () => Promise.resolve(1))).rejects.toThrow(/limit/);
  });
});

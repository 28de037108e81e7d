import { describe, expect, it } from "vitest";
import { CATSEG_L_MODULES } from "../reference/catseg-l.js";
import { randomAdapter } from "../synthetic/random-adapter.js";
import { fuseAdapters, fuseAdaptersAsync } from "./fuse.js";

describe("fusion inside a server", () => {
  const modules = CATSEG_L_MODULES.slice(0, 8);
  const inputs = [1, 2, 3].map((seed) => ({ adapter: randomAdapter({ modules, rank: 8, seed }), weight: 1 / 3 }));

  it("gives the event loop turns while fusing, with the same result as the synchronous call", async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const fused = await fuseAdaptersAsync(inputs, { combination: "svd" }, { sliceMs: 1 });
    clearInterval(ticker);
    expect(turns).toBeGreaterThan(0);
    const sync = fuseAdapters(inputs, { combination: "svd" });
    expect(fused.modules.map((m) => Array.from(m.a.subarray(0, 64)))).toEqual(sync.modules.map((m) => Array.from(m.a.subarray(0, 64))));
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("client went away"));
    await expect(fuseAdaptersAsync(inputs, { combination: "cat" }, { signal: controller.signal })).rejects.toThrow("client went away");
  });
});

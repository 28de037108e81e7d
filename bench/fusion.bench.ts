/**
 * Fusion benchmark: `cat` of 5 SemLA CAT-Seg-L-shaped adapters (214 modules, rank 8, ~17 MB F32 each)
 * against a plain copy of the same bytes measured in the same run (target ≤ 2×), and the longest
 * event-loop stall while a server fuses (target ≤ 50 ms).
 */

import { table } from "@semla/cli/format";
import { CATSEG_L_ALPHA, CATSEG_L_MODULES, CATSEG_L_RANK, fusion, type LoraAdapter, randomAdapter } from "@semla/core";
import { measureServerStall } from "./server-stall.js";
import { median, timeRuns, writeResult } from "./stats.js";

const ADAPTERS = 5;
const inputs: fusion.WeightedAdapter[] = Array.from({ length: ADAPTERS }, (_, i) => ({
  adapter: randomAdapter({ modules: CATSEG_L_MODULES, rank: CATSEG_L_RANK, alpha: CATSEG_L_ALPHA, seed: 1000 + i }),
  weight: 1 / ADAPTERS,
}));
const adapterBytes = inputs[0]!.adapter.modules.reduce((n, m) => n + 4 * (m.a.length + m.b.length), 0);

/** The baseline: the same bytes copied into freshly allocated buffers of the fused shapes, block by block. */
function plainCopy(adapters: readonly LoraAdapter[]): number {
  let total = 0;
  for (let index = 0; index < adapters[0]!.modules.length; index++) {
    const sources = adapters.map((adapter) => adapter.modules[index]!);
    const a = new Float32Array(sources.reduce((n, m) => n + m.a.length, 0));
    const b = new Float32Array(sources.reduce((n, m) => n + m.b.length, 0));
    let offsetA = 0;
    let offsetB = 0;
    for (const m of sources) {
      a.set(m.a, offsetA);
      b.set(m.b, offsetB);
      offsetA += m.a.length;
      offsetB += m.b.length;
    }
    total += a.length + b.length;
  }
  return total;
}

const RUNS = 15;
const copyTimes = timeRuns(() => plainCopy(inputs.map((i) => i.adapter)), { runs: RUNS });
const catTimes = timeRuns(() => fusion.fuseAdapters(inputs, { combination: "cat" }), { runs: RUNS });
const linearTimes = timeRuns(() => fusion.fuseAdapters(inputs, { combination: "linear" }), { runs: 5, warmup: 1 });
const copyMedian = median(copyTimes);

const cooperative = await measureServerStall(() => fusion.fuseAdaptersAsync(inputs, { combination: "cat" }), 5);
const blocking = await measureServerStall(() => fusion.fuseAdapters(inputs, { combination: "cat" }), 5);

const catMedian = median(catTimes);
console.log(`Fusion of ${ADAPTERS} CAT-Seg-L-shaped adapters (${CATSEG_L_MODULES.length} modules, rank ${CATSEG_L_RANK}, ${(adapterBytes / 1e6).toFixed(1)} MB F32 each), median of ${RUNS} runs\n`);
console.log(
  table(
    ["operation", "median ms", "× plain copy", "target"],
    [
      ["plain copy of the same bytes (baseline)", copyMedian.toFixed(1), "1.00", ""],
      ["cat (exact, rank 40)", catMedian.toFixed(1), (catMedian / copyMedian).toFixed(2), "≤ 2×"],
      ["linear (rank 8)", median(linearTimes).toFixed(1), (median(linearTimes) / copyMedian).toFixed(2), ""],
    ],
  ),
);
console.log("\nEvent loop of an HTTP server fusing 5 times (cat) while a client pings it");
console.log(
  table(
    ["fusion call", "longest stall ms", "stall p99 ms", "ping p99 ms (other process)", "pings", "target"],
    [
      ["fuseAdaptersAsync (cooperative)", cooperative.maxStallMs.toFixed(1), cooperative.p99StallMs.toFixed(1), cooperative.pingP99Ms.toFixed(1), String(cooperative.pings), "≤ 50 ms"],
      ["fuseAdapters (synchronous, for contrast)", blocking.maxStallMs.toFixed(1), blocking.p99StallMs.toFixed(1), blocking.pingP99Ms.toFixed(1), String(blocking.pings), ""],
    ],
  ),
);
await writeResult("fusion", {
  adapters: ADAPTERS,
  modules: CATSEG_L_MODULES.length,
  rank: CATSEG_L_RANK,
  adapterBytes,
  runs: RUNS,
  copyMedianMs: copyMedian,
  catMedianMs: catMedian,
  catOverCopy: catMedian / copyMedian,
  linearMedianMs: median(linearTimes),
  cooperative,
  blocking,
});

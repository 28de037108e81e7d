import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits/limits.js";
import { svd } from "../linalg/svd.js";
import { denseDelta } from "../lora/adapter.js";
import { expectedDelta, maxAbsDifference, moduleNamed, SMALL_MODULES, smallAdapter } from "../testing/fusion.js";
import { fuseAdapters } from "./fuse.js";
import { FusionOptionsSchema, parseFusionOptions } from "./options.js";

const [Q, FC] = SMALL_MODULES.map((m) => m.name) as [string, string];

/** Best rank-k approximation of a dense [rows, cols] matrix, by a full SVD of the dense matrix. */
function bestRankK(dense: Float64Array, rows: number, cols: number, k: number): Float64Array {
  const { u, s, v } = svd({ rows, cols, data: dense });
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < k; j++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c]! += u.data[r * u.cols + j]! * s[j]! * v.data[c * v.cols + j]!;
    }
  }
  return out;
}

describe("svd fusion", () => {
  const inputs = [
    { adapter: smallAdapter(11, 2, { alpha: 6 }), weight: 0.7 },
    { adapter: smallAdapter(12, 3, { alpha: 3 }), weight: 0.3 },
  ];

  it("reproduces ΔW exactly when the target rank covers Σrᵢ", () => {
    const fused = fuseAdapters(inputs, { combination: "svd", rank: 5 });
    for (const { name } of SMALL_MODULES) {
      expect(maxAbsDifference(denseDelta(moduleNamed(fused, name)), expectedDelta(inputs, name))).toBeLessThan(1e-5);
    }
  });

  it("truncates to the best rank-k approximation of the exact weighted ΔW (default k = largest input rank)", () => {
    const fused = fuseAdapters(inputs, { combination: "svd" });
    expect(fused.config.r).toBe(3);
    expect(fused.config.lora_alpha).toBe(3);
    const expected = bestRankK(expectedDelta(inputs, FC), 20, 12, 3);
    expect(maxAbsDifference(denseDelta(moduleNamed(fused, FC)), expected)).toBeLessThan(1e-5);
  });

  it("applies each adapter's scaling once (PEFT main's svd path applied it twice)", () => {
    const adapter = smallAdapter(13, 2, { alpha: 8 }); // scaling 4
    const fused = fuseAdapters([{ adapter, weight: 0.5 }], { combination: "svd" });
    const own = denseDelta(moduleNamed(adapter, Q)); // already × 4
    const twice = own.map((x) => x * 0.5);
    expect(maxAbsDifference(denseDelta(moduleNamed(fused, Q)), twice)).toBeLessThan(1e-5);
  });

  it("pads with zero factors when the requested rank exceeds the rank of ΔW", () => {
    const fused = fuseAdapters(inputs, { combination: "svd", rank: 7 });
    const module = moduleNamed(fused, Q);
    expect(module.rank).toBe(7);
    expect(Array.from(module.a.subarray(5 * 12))).toEqual(new Array(2 * 12).fill(0));
  });

  it("refuses a rank over min(in, out) of a module (8 for the 8x8 v_proj here), naming it; min(in, out) itself is accepted", () => {
    expect(moduleNamed(fuseAdapters(inputs, { combination: "svd", rank: 8 }), SMALL_MODULES[3]!.name).rank).toBe(8);
    expect(() => fuseAdapters(inputs, { combination: "svd", rank: 9 })).toThrow(
      expect.objectContaining({
        code: "fusion.rank-too-large",
        message: `svd rank 9 is over 8, min(in, out) of module ${SMALL_MODULES[3]!.name} (8x8)`,
        details: { rule: "rank-too-large", module: SMALL_MODULES[3]!.name, rank: 9, max: 8 },
      }),
    );
  });

  it(`refuses a rank over LIMITS.svdRank (${LIMITS.svdRank}) where the options are parsed, before any work, as the probe's 300000 and 1000000`, () => {
    for (const rank of [LIMITS.svdRank + 1, 300_000, 1_000_000]) {
      expect(() => parseFusionOptions({ combination: "svd", rank })).toThrow(expect.objectContaining({ code: "fusion.invalid-options", message: expect.stringContaining("rank: ") }));
    }
    expect(FusionOptionsSchema.safeParse({ combination: "svd", rank: LIMITS.svdRank }).success).toBe(true);
  });

  it("clamps both factors to ± the clamp quantile of their entries", () => {
    const fused = fuseAdapters(inputs, { combination: "svd", clamp: 0.9 });
    const free = fuseAdapters(inputs, { combination: "svd" });
    const module = moduleNamed(fused, FC);
    const unclamped = moduleNamed(free, FC);
    const values = [...unclamped.b, ...unclamped.a].sort((x, y) => x - y);
    const position = 0.9 * (values.length - 1);
    const lo = Math.floor(position);
    const limit = values[lo]! + (values[lo + 1]! - values[lo]!) * (position - lo);
    expect(Math.max(...module.a.map(Math.abs), ...module.b.map(Math.abs))).toBeLessThanOrEqual(Math.fround(limit) + 1e-7);
    const clipped = unclamped.a.map((x) => Math.fround(Math.min(Math.max(x, -limit), limit)));
    expect(maxAbsDifference(module.a, clipped)).toBeLessThan(1e-6);
  });
});

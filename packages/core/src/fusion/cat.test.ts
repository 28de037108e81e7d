import { describe, expect, it } from "vitest";
import { denseDelta } from "../lora/adapter.js";
import { expectedDelta, maxAbsDifference, moduleNamed, SMALL_MODULES, smallAdapter } from "../testing/fusion.js";
import { fuseAdapters } from "./fuse.js";

const [Q, FC, PROJ, TEXT_V] = SMALL_MODULES.map((m) => m.name) as [string, string, string, string];

describe("cat fusion", () => {
  const inputs = [
    { adapter: smallAdapter(1, 2), weight: 0.5 },
    { adapter: smallAdapter(2, 3, { alpha: 5 }), weight: 0.3 },
    { adapter: smallAdapter(3, 4, { alpha: 8, useRslora: true }), weight: 0.2 },
  ];
  const fused = fuseAdapters(inputs, { combination: "cat" });

  it("gives exactly ΔW = Σ wᵢ·sᵢ·BᵢAᵢ on every module, each adapter's own scaling (incl. rsLoRA) applied once", () => {
    for (const { name } of SMALL_MODULES) {
      expect(maxAbsDifference(denseDelta(moduleNamed(fused, name)), expectedDelta(inputs, name))).toBeLessThan(1e-6);
    }
  });

  it("has rank Σrᵢ and lora_alpha = rank, so its own scaling is 1", () => {
    expect(fused.config.r).toBe(9);
    expect(fused.config.lora_alpha).toBe(9);
    expect(fused.config.use_rslora).toBe(false);
    expect(fused.modules.every((m) => m.rank === 9 && m.scaling === 1)).toBe(true);
  });

  it("stacks wᵢ·sᵢ·Aᵢ as rows of A′ and Bᵢ as columns of B′ in input order", () => {
    const module = moduleNamed(fused, Q);
    const second = moduleNamed(inputs[1]!.adapter, Q);
    const factor = 0.3 * (5 / 3);
    // Row 2 of A′ is the first row of the second adapter's A (the first adapter has rank 2).
    for (let i = 0; i < 12; i++) expect(module.a[2 * 12 + i]).toBeCloseTo(factor * second.a[i]!, 6);
    // Column 2 of B′ (row o, position 2) is the first column of the second adapter's B, unscaled.
    for (let o = 0; o < 12; o++) expect(module.b[o * 9 + 2]).toBe(second.b[o * 3]);
  });

  it("is the input itself (times w·s) for a single adapter", () => {
    const single = smallAdapter(4, 2);
    const out = fuseAdapters([{ adapter: single, weight: 1 }]);
    expect(maxAbsDifference(denseDelta(moduleNamed(out, FC)), denseDelta(moduleNamed(single, FC)))).toBeLessThan(1e-6);
  });

  it("takes nothing from an adapter for a module it lacks, padding that module to the fused rank with zeros", () => {
    const partial = smallAdapter(5, 2, { modules: SMALL_MODULES.filter((m) => m.name !== TEXT_V) });
    const full = smallAdapter(6, 3);
    const mixed = [
      { adapter: partial, weight: 0.6 },
      { adapter: full, weight: 0.4 },
    ];
    const out = fuseAdapters(mixed);
    expect(out.config.r).toBe(5);
    const v = moduleNamed(out, TEXT_V);
    expect(v.rank).toBe(5);
    expect(maxAbsDifference(denseDelta(v), expectedDelta([{ adapter: full, weight: 0.4 }], TEXT_V))).toBeLessThan(1e-6);
    // Only the full adapter's 3 rows/columns are used; rows 3-4 of A′ and columns 3-4 of B′ are zero.
    expect(Array.from(v.a.subarray(3 * 8))).toEqual(new Array(2 * 8).fill(0));
    for (let o = 0; o < 8; o++) expect([v.b[o * 5 + 3], v.b[o * 5 + 4]]).toEqual([0, 0]);
    expect(maxAbsDifference(denseDelta(moduleNamed(out, PROJ)), expectedDelta(mixed, PROJ))).toBeLessThan(1e-6);
  });

  it("accepts negative weights (subtracting an adapter)", () => {
    const pair = [
      { adapter: smallAdapter(7, 2), weight: 1 },
      { adapter: smallAdapter(8, 2), weight: -0.5 },
    ];
    const out = fuseAdapters(pair);
    expect(maxAbsDifference(denseDelta(moduleNamed(out, Q)), expectedDelta(pair, Q))).toBeLessThan(1e-6);
  });

  it("unions list target_modules and keeps the first adapter's other settings", () => {
    expect(fused.config.target_modules).toEqual([...SMALL_MODULES.map((m) => m.name)].sort());
    expect(fused.config.base_model_name_or_path).toBe("catseg-l");
    expect(fused.config.rank_pattern).toEqual({});
    expect(fused.config.alpha_pattern).toEqual({});
  });
});

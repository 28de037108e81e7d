import { denseDelta, fusion, randomAdapter } from "@semla/core";
import { describe, expect, it } from "vitest";
import { bankBytes, stackLoraBank } from "./stack-bank.js";

// A plan's update from the bank, Σ wᵢ·(sᵢBᵢᵀ)ᵀ·Aᵢ over the gathered rows, against dense math:
// Σ wᵢ·ΔWᵢ with ΔWᵢ = sᵢ·Bᵢ·Aᵢ computed in Float64 by core, and the cat-fused adapter's B′A′.

const shapes = [
  { name: "m.q", inFeatures: 5, outFeatures: 3 },
  { name: "m.v", inFeatures: 4, outFeatures: 6 },
];

function bankDelta(bank: ReturnType<typeof stackLoraBank>, module: string, indices: number[], weights: number[]): Float64Array {
  const m = bank.modules.find((x) => x.name === module)!;
  const out = new Float64Array(m.outFeatures * m.inFeatures);
  indices.forEach((index, j) => {
    for (let k = 0; k < m.rank; k++) {
      for (let o = 0; o < m.outFeatures; o++) {
        const b = (m.bT[(index * m.rank + k) * m.outFeatures + o] as number) * weights[j]!;
        for (let i = 0; i < m.inFeatures; i++) out[o * m.inFeatures + i]! += b * (m.a[(index * m.rank + k) * m.inFeatures + i] as number);
      }
    }
  });
  return out;
}

describe("stacking a library into a bank", () => {
  const x = randomAdapter({ modules: shapes, rank: 2, alpha: 8, seed: 1 });
  const y = randomAdapter({ modules: shapes.slice(1), rank: 3, alpha: 3, seed: 2 });

  it("pads each module to its largest rank and folds scaling into B, so a plan's update is Σ wᵢ·sᵢ·BᵢAᵢ", () => {
    const bank = stackLoraBank([x, y]);
    expect(bank.size).toBe(2);
    expect(bank.modules.map((m) => [m.name, m.rank, m.a.length, m.bT.length])).toEqual([
      ["m.q", 2, 2 * 2 * 5, 2 * 2 * 3],
      ["m.v", 3, 2 * 3 * 4, 2 * 3 * 6],
    ]);
    expect(bankBytes(bank)).toBe(4 * (20 + 12 + 24 + 36));
    // y lacks m.q: its slot is zeros.
    expect(bank.modules[0]!.a.subarray(2 * 5).every((v) => v === 0)).toBe(true);
    const [xv, yv] = [x.modules[1]!, y.modules[0]!];
    const dense = denseDelta(xv).map((v, i) => 0.25 * v + 1.5 * (denseDelta(yv)[i] as number));
    const fromBank = bankDelta(bank, "m.v", [1, 0], [1.5, 0.25]);
    for (const [i, v] of fromBank.entries()) expect(v).toBeCloseTo(dense[i] as number, 6);
    const cat = fusion.fuseAdapters(
      [
        { adapter: x, weight: 0.25 },
        { adapter: y, weight: 1.5 },
      ],
      { combination: "cat" },
    );
    const fused = denseDelta(cat.modules.find((m) => m.name === "m.v")!);
    for (const [i, v] of fromBank.entries()) expect(v).toBeCloseTo(fused[i] as number, 6);
    expect(Math.max(...fromBank.map(Math.abs))).toBeGreaterThan(1e-4);
  });

  it("refuses an empty library and a module whose shape differs between adapters", () => {
    expect(() => stackLoraBank([])).toThrow("a bank needs at least one adapter");
    const odd = randomAdapter({ modules: [{ name: "m.q", inFeatures: 7, outFeatures: 3 }], rank: 2, seed: 3 });
    expect(() => stackLoraBank([x, odd])).toThrow("m.q is [3, 7] ([out, in]) in one adapter and [3, 5] in another");
  });
});

import { describe, expect, it } from "vitest";
import { denseDelta, type LoraModule } from "../lora/adapter.js";
import { createPrng } from "../random/prng.js";
import { expectedDelta, maxAbsDifference, moduleNamed, SMALL_MODULES, smallAdapter } from "../testing/fusion.js";
import { FusionError } from "./errors.js";
import { fuseAdapters } from "./fuse.js";
import { parseFusionOptions } from "./options.js";
import { mergeTaskTensors } from "./task-tensors.js";

const [Q, FC] = SMALL_MODULES.map((m) => m.name) as [string, string];
const none = () => [];

describe("PEFT task-tensor merges on hand-computed tensors", () => {
  const t1 = Float32Array.from([1, -2, 3, -0.5]);
  const t2 = Float32Array.from([-1, 1, 2, 4]);

  it("linear: Σ wᵢ·tᵢ", () => {
    expect(Array.from(mergeTaskTensors({ kind: "linear" }, [t1, t2], [1, 2], none))).toEqual([-1, 0, 7, 7.5]);
  });

  it("magnitude_prune: keeps floor(density·n) largest |x| of each tensor, then Σ wᵢ·tᵢ", () => {
    // t1 → [0, -2, 3, 0], t2 → [0, 0, 2, 4]
    expect(Array.from(mergeTaskTensors({ kind: "magnitude_prune", density: 0.5 }, [t1, t2], [1, 2], none))).toEqual([0, -2, 7, 8]);
  });

  it("ties: prunes, elects a sign per entry, averages the weighted entries that agree", () => {
    // elected signs (total): [+, -, +, +]; idx2: (3 + 2·2)/2, idx3: 2·4/1
    expect(Array.from(mergeTaskTensors({ kind: "ties", density: 0.5, majoritySign: "total" }, [t1, t2], [1, 2], none))).toEqual([0, -2, 3.5, 8]);
  });

  it("ties: 'total' elects by summed value, 'frequency' by count", () => {
    const tensors = [Float32Array.from([-5]), Float32Array.from([1]), Float32Array.from([1])];
    const weights = [1, 1, 1];
    expect(Array.from(mergeTaskTensors({ kind: "ties", density: 1, majoritySign: "total" }, tensors, weights, none))).toEqual([-5]);
    expect(Array.from(mergeTaskTensors({ kind: "ties", density: 1, majoritySign: "frequency" }, tensors, weights, none))).toEqual([1]);
  });

  it("dare_linear: keeps each entry with probability density, rescaled by 1/density", () => {
    const big = Float32Array.from({ length: 20000 }, (_, i) => (i % 7) + 1);
    const out = mergeTaskTensors({ kind: "dare_linear", density: 0.25 }, [big], [1], () => [createPrng(9, "x")]);
    let kept = 0;
    out.forEach((x, i) => {
      if (x !== 0) {
        kept++;
        expect(x).toBe(big[i]! / 0.25);
      }
    });
    expect(kept / big.length).toBeGreaterThan(0.23);
    expect(kept / big.length).toBeLessThan(0.27);
  });

  it("dare at density 0 drops everything instead of dividing by zero", () => {
    expect(Array.from(mergeTaskTensors({ kind: "dare_linear", density: 0 }, [t1], [1], () => [createPrng(1)]))).toEqual([0, 0, 0, 0]);
  });
});

/** PEFT's _generalized_task_arithmetic_weighted_adapter for one module, written plainly with arrays. */
function referenceFactors(
  parts: readonly { module: LoraModule; weight: number }[],
  kind: "linear" | "magnitude_prune" | "ties" | "dare_linear" | "dare_ties",
  density = 1,
  seed = 0,
): { a: number[]; b: number[] } {
  // DARE's drop masks: one documented stream per (seed, module, adapter position, factor).
  const dareKeep = (j: number, role: "A" | "B") => createPrng(seed, `${parts[j]!.module.name}\u0000${j}\u0000${role}`);
  const prune = (t: Float32Array, j: number, role: "A" | "B"): number[] => {
    if (kind === "dare_linear" || kind === "dare_ties") {
      const random = dareKeep(j, role);
      return Array.from(t, (x) => (random.next() < density ? Math.fround(x / density) : 0));
    }
    if (kind === "linear" || density >= 1) return Array.from(t);
    const keep = Math.floor(density * t.length);
    const order = Array.from(t, (x, i) => [Math.abs(x), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    const kept = new Set(order.slice(0, keep).map(([, i]) => i));
    return Array.from(t, (x, i) => (kept.has(i) ? x : 0));
  };
  const merge = (tensors: Float32Array[], weights: number[], role: "A" | "B"): number[] => {
    const pruned = tensors.map((t, j) => prune(t, j, role));
    const n = pruned[0]!.length;
    return Array.from({ length: n }, (_, i) => {
      if (kind !== "ties" && kind !== "dare_ties") return pruned.reduce((s, t, j) => s + weights[j]! * t[i]!, 0);
      const sign = pruned.reduce((s, t) => s + t[i]!, 0) >= 0 ? 1 : -1;
      const agree = pruned.map((t, j) => [t[i]!, j] as const).filter(([x]) => Math.sign(x) === sign);
      return agree.reduce((s, [x, j]) => s + weights[j]! * x, 0) / Math.max(agree.length, 1);
    });
  };
  const ws = parts.map((p) => p.weight * p.module.scaling);
  return {
    a: merge(
      parts.map((p) => p.module.a),
      ws.map((w) => Math.sign(w) * Math.sqrt(Math.abs(w))),
      "A",
    ),
    b: merge(
      parts.map((p) => p.module.b),
      ws.map((w) => Math.sqrt(Math.abs(w))),
      "B",
    ),
  };
}

function denseProduct(b: number[], a: number[], out: number, rank: number, inF: number): Float64Array {
  const d = new Float64Array(out * inF);
  for (let o = 0; o < out; o++) for (let k = 0; k < rank; k++) for (let i = 0; i < inF; i++) d[o * inF + i]! += b[o * rank + k]! * a[k * inF + i]!;
  return d;
}

describe("linear-family fusion of adapters", () => {
  const inputs = [
    { adapter: smallAdapter(21, 3, { alpha: 6 }), weight: 0.6 },
    { adapter: smallAdapter(22, 3, { alpha: 3 }), weight: 0.4 },
    { adapter: smallAdapter(23, 3, { alpha: 12 }), weight: -0.25 },
  ];

  for (const [combination, density] of [
    ["linear", 1],
    ["magnitude_prune", 0.4],
    ["ties", 0.4],
    ["dare_linear", 0.6],
    ["dare_ties", 0.6],
  ] as const) {
    it(`${combination}: ΔW′ = B′A′ matches PEFT's formulas by dense math, with rank r and scaling 1`, () => {
      const options = combination === "linear" ? { combination } : { combination, density, seed: 11 };
      const fused = fuseAdapters(inputs, parseFusionOptions(options));
      expect(fused.config.r).toBe(3);
      for (const { name, inFeatures, outFeatures } of SMALL_MODULES) {
        const parts = inputs.map(({ adapter, weight }) => ({ module: moduleNamed(adapter, name), weight }));
        const ref = referenceFactors(parts, combination, density, 11);
        const module = moduleNamed(fused, name);
        expect(module.scaling).toBe(1);
        expect(maxAbsDifference(denseDelta(module), denseProduct(ref.b, ref.a, outFeatures, 3, inFeatures))).toBeLessThan(1e-5);
      }
    });
  }

  it("linear of a single adapter is w·s·BA (√(w·s) on each factor, the sign of a negative weight on A)", () => {
    const single = [{ adapter: smallAdapter(24, 2, { alpha: 4 }), weight: -0.3 }];
    const fused = fuseAdapters(single, { combination: "linear" });
    expect(maxAbsDifference(denseDelta(moduleNamed(fused, Q)), expectedDelta(single, Q))).toBeLessThan(1e-6);
  });

  it("dare_linear and dare_ties are reproducible for a seed and differ across seeds", () => {
    for (const combination of ["dare_linear", "dare_ties"] as const) {
      const one = fuseAdapters(inputs, parseFusionOptions({ combination, density: 0.5, seed: 7 }));
      const again = fuseAdapters(inputs, parseFusionOptions({ combination, density: 0.5, seed: 7 }));
      const other = fuseAdapters(inputs, parseFusionOptions({ combination, density: 0.5, seed: 8 }));
      expect(Array.from(moduleNamed(again, FC).a)).toEqual(Array.from(moduleNamed(one, FC).a));
      expect(maxAbsDifference(moduleNamed(other, FC).a, moduleNamed(one, FC).a)).toBeGreaterThan(0);
    }
  });

  it("dare_linear of one adapter keeps entries as √(w·s)·x/density or drops them", () => {
    const single = [{ adapter: smallAdapter(25, 2), weight: 0.5 }];
    const fused = fuseAdapters(single, { combination: "dare_linear", density: 0.5, seed: 3 });
    const source = moduleNamed(single[0]!.adapter, FC);
    const factor = Math.sqrt(0.5 * source.scaling) / 0.5;
    moduleNamed(fused, FC).a.forEach((x, i) => {
      if (x !== 0) expect(x).toBeCloseTo(factor * source.a[i]!, 6);
    });
  });

  it("refuses adapters of different ranks, pointing to cat or svd", () => {
    expect(() =>
      fuseAdapters(
        [
          { adapter: smallAdapter(1, 2), weight: 0.5 },
          { adapter: smallAdapter(2, 3), weight: 0.5 },
        ],
        { combination: "linear" },
      ),
    ).toThrow(expect.objectContaining({ code: "fusion.rank-mismatch", message: expect.stringMatching(/use cat or svd/) }));
  });
});

describe("fusion refuses what cannot be fused", () => {
  const a = smallAdapter(31, 2);
  it("no adapters", () => {
    expect(() => fuseAdapters([])).toThrow(expect.objectContaining({ code: "fusion.no-adapters" }));
  });
  it("a non-finite weight", () => {
    expect(() => fuseAdapters([{ adapter: a, weight: Number.NaN }])).toThrow(expect.objectContaining({ code: "fusion.invalid-weight" }));
  });
  it("the same module with different shapes, naming it", () => {
    const other = smallAdapter(32, 2, { modules: [{ name: Q, inFeatures: 16, outFeatures: 12 }] as never });
    expect(() =>
      fuseAdapters([
        { adapter: a, weight: 1 },
        { adapter: other, weight: 1 },
      ]),
    ).toThrow(expect.objectContaining({ code: "fusion.shape-mismatch", details: expect.objectContaining({ module: Q }) }));
  });
  it("adapters of different base models", () => {
    const other = { ...a, config: { ...a.config, base_model_name_or_path: "other-model" } };
    expect(() =>
      fuseAdapters([
        { adapter: a, weight: 1 },
        { adapter: other, weight: 1 },
      ]),
    ).toThrow(FusionError);
  });
  it("invalid options: density out of range, density missing for ties", () => {
    expect(() => parseFusionOptions({ combination: "ties", density: 2 })).toThrow(expect.objectContaining({ code: "fusion.invalid-options" }));
    expect(() => parseFusionOptions({ combination: "ties" } as never)).toThrow(expect.objectContaining({ code: "fusion.invalid-options" }));
  });
});

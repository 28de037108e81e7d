import { bytesSource, createPrng, denseDelta, linalg, peft } from "@semla/core";
import { onnx } from "@semla/models";
import { describe, expect, it } from "vitest";
import { singleModuleAdapter } from "./adapter.js";
import { lowRankFactors } from "./low-rank.js";
import { relativeLambda, ridgeFit } from "./ridge.js";
import { patchClassFractions, textPseudoInverse } from "./targets.js";

function random(rows: number, cols: number, seed: number): linalg.Matrix {
  const prng = createPrng(seed);
  return linalg.matrix(
    rows,
    cols,
    Array.from({ length: rows * cols }, () => prng.normal()),
  );
}

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
};

/** Dense reference: W = (YᵀX + λW₀)(XᵀX + λI)⁻¹, the inverse by Gauss–Jordan. */
function denseRidge(x: linalg.Matrix, y: linalg.Matrix, lambda: number, prior?: linalg.Matrix): Float64Array {
  const p = x.cols;
  const q = y.cols;
  const g = linalg.matmul(x, x, { transposeA: true });
  const aug = new Float64Array(p * 2 * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) aug[i * 2 * p + j] = g.data[i * p + j]! + (i === j ? lambda : 0);
    aug[i * 2 * p + p + i] = 1;
  }
  for (let c = 0; c < p; c++) {
    const pivot = aug[c * 2 * p + c]!;
    for (let j = 0; j < 2 * p; j++) aug[c * 2 * p + j]! /= pivot;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = aug[r * 2 * p + c]!;
      for (let j = 0; j < 2 * p; j++) aug[r * 2 * p + j]! -= f * aug[c * 2 * p + j]!;
    }
  }
  const inverse = linalg.matrix(
    p,
    p,
    Array.from({ length: p * p }, (_, k) => aug[Math.floor(k / p) * 2 * p + p + (k % p)]!),
  );
  const rhs = linalg.matmul(y, x, { transposeA: true }); // [q, p]
  if (prior) for (let k = 0; k < q * p; k++) rhs.data[k]! += lambda * prior.data[k]!;
  return linalg.matmul(rhs, inverse).data;
}

describe("ridgeFit", () => {
  const x = random(40, 6, 1);
  const y = random(40, 3, 2);

  it("equals the dense normal-equations solution, with and without a prior", () => {
    expect(maxDiff(ridgeFit(x, y, 0.5).data, denseRidge(x, y, 0.5))).toBeLessThan(1e-12);
    const prior = random(3, 6, 3);
    expect(maxDiff(ridgeFit(x, y, 2, prior).data, denseRidge(x, y, 2, prior))).toBeLessThan(1e-12);
  });

  it("recovers an exact linear map when the data is noiseless and λ is tiny", () => {
    const w = random(3, 6, 4);
    const exact = linalg.matmul(x, w, { transposeB: true });
    expect(maxDiff(ridgeFit(x, exact, 1e-10).data, w.data)).toBeLessThan(1e-8);
  });

  it("goes to the prior as λ grows, and scales λ by the features' mean energy", () => {
    const prior = random(3, 6, 5);
    expect(maxDiff(ridgeFit(x, y, 1e12, prior).data, prior.data)).toBeLessThan(1e-6);
    expect(relativeLambda(linalg.matrix(2, 2, [1, 2, 3, 4]), 0.5)).toBe((0.5 * 30) / 2);
    expect(() => ridgeFit(x, y, 0)).toThrow(RangeError);
    expect(() => ridgeFit(x, random(39, 3, 6), 1)).toThrow(RangeError);
  });
});

describe("lowRankFactors", () => {
  const delta = random(8, 5, 7);

  it("gives B·A equal to the SVD truncated to rank r", () => {
    const { a, b, rank, singularValues } = lowRankFactors(delta.data, 8, 5, 2);
    expect(rank).toBe(2);
    const { u, s, v } = linalg.svd(delta);
    const truncated = new Float64Array(40);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 2; k++) truncated[i * 5 + j]! += u.data[i * u.cols + k]! * s[k]! * v.data[j * v.cols + k]!;
    const ba = linalg.matmul(linalg.matrix(8, 2, b), linalg.matrix(2, 5, a)).data;
    expect(maxDiff(ba, truncated)).toBeLessThan(1e-6);
    expect(Array.from(singularValues)).toEqual(Array.from(s));
  });

  it("is exact at full rank and caps the rank at min(out, in)", () => {
    const { a, b, rank } = lowRankFactors(delta.data, 8, 5, 16);
    expect(rank).toBe(5);
    expect(maxDiff(linalg.matmul(linalg.matrix(8, 5, b), linalg.matrix(5, 5, a)).data, delta.data)).toBeLessThan(1e-5);
  });

  it("round-trips as a PEFT adapter whose ΔW is B·A (scaling 1)", async () => {
    const factors = lowRankFactors(delta.data, 8, 5, 3);
    const adapter = singleModuleAdapter({ name: onnx.HEAD_MODULE, inFeatures: 5, outFeatures: 8 }, factors, "semla/test");
    const files = peft.writePeftAdapter(adapter);
    const read = await peft.readLoraAdapter({ config: files.config, weights: bytesSource(files.weights) });
    expect(read.config.target_modules).toEqual([onnx.HEAD_MODULE]);
    expect(read.modules[0]!.scaling).toBe(1);
    expect(maxDiff(denseDelta(read.modules[0]!), linalg.matmul(linalg.matrix(8, 3, factors.b), linalg.matrix(3, 5, factors.a)).data)).toBeLessThan(1e-12);
  });
});

describe("targets", () => {
  it("use the text matrix's pseudo-inverse, so ⟨T⁺h, t_c⟩ = h_c", () => {
    const t = random(3, 5, 8);
    const pinv = textPseudoInverse(Float32Array.from(t.data), 3, 5); // [5, 3]
    const product = linalg.matmul(linalg.matrix(3, 5, Float32Array.from(t.data)), pinv); // T·T⁺ = I
    expect(maxDiff(product.data, [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThan(1e-6);
  });

  it("are each patch's class fractions on the resized grid, ignoring 255", () => {
    // 4×4 labels onto a 2×2 grid: each patch is a 2×2 block.
    const labels = Uint8Array.of(0, 0, 1, 1, 0, 1, 1, 1, 2, 2, 255, 255, 2, 2, 255, 0);
    expect(Array.from(patchClassFractions(labels, 4, 4, 2, 3))).toEqual([0.75, 0.25, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
  });
});

import { describe, expect, it } from "vitest";
import { createPrng } from "../random/prng.js";
import { choleskySolve } from "./cholesky.js";
import { matmul, matrix, transpose } from "./matrix.js";
import { thinQr } from "./qr.js";
import { svd } from "./svd.js";

function randomMatrix(rows: number, cols: number, seed: number) {
  const random = createPrng(seed);
  return matrix(
    rows,
    cols,
    Array.from({ length: rows * cols }, () => random.normal()),
  );
}

function maxDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

function identity(n: number) {
  const out = matrix(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  return out;
}

describe("matmul", () => {
  it("multiplies, with either operand transposed", () => {
    const a = matrix(2, 3, [1, 2, 3, 4, 5, 6]);
    const b = matrix(3, 2, [7, 8, 9, 10, 11, 12]);
    expect(Array.from(matmul(a, b).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matmul(transpose(a), b, { transposeA: true }).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matmul(a, transpose(b), { transposeB: true }).data)).toEqual([58, 64, 139, 154]);
    expect(() => matmul(a, a)).toThrow(/inner dimensions 3 and 2/);
  });
});

describe("thin QR", () => {
  it("factors a tall matrix into orthonormal Q and upper-triangular R with Q·R = X", () => {
    const x = randomMatrix(30, 5, 1);
    const { q, r } = thinQr(x);
    expect(maxDiff(matmul(q, r).data, x.data)).toBeLessThan(1e-12);
    expect(maxDiff(matmul(q, q, { transposeA: true }).data, identity(5).data)).toBeLessThan(1e-12);
    for (let i = 0; i < 5; i++) for (let j = 0; j < i; j++) expect(r.data[i * 5 + j]).toBe(0);
  });

  it("still reproduces X when a column depends on the others", () => {
    const x = randomMatrix(10, 3, 2);
    for (let i = 0; i < 10; i++) x.data[i * 3 + 2] = 2 * x.data[i * 3]! - x.data[i * 3 + 1]!;
    const { q, r } = thinQr(x);
    expect(maxDiff(matmul(q, r).data, x.data)).toBeLessThan(1e-12);
    expect(Math.abs(r.data[2 * 3 + 2]!)).toBe(0);
  });

  it("handles wide matrices (more columns than rows)", () => {
    const x = randomMatrix(3, 7, 3);
    const { q, r } = thinQr(x);
    expect([q.rows, q.cols, r.rows, r.cols]).toEqual([3, 3, 3, 7]);
    expect(maxDiff(matmul(q, r).data, x.data)).toBeLessThan(1e-12);
  });
});

describe("SVD (one-sided Jacobi)", () => {
  it("recovers the singular values of U·diag(s)·Vᵀ built from known orthonormal factors", () => {
    const u = thinQr(randomMatrix(8, 4, 4)).q;
    const v = thinQr(randomMatrix(5, 4, 5)).q;
    const s = [9, 4, 1, 0.25];
    const us = matrix(
      8,
      4,
      Array.from(u.data, (x, i) => x * s[i % 4]!),
    );
    const x = matmul(us, v, { transposeB: true });
    const result = svd(x);
    expect(maxDiff(result.s.subarray(0, 4), s)).toBeLessThan(1e-12);
    expect(result.s[4]).toBeLessThan(1e-12);
  });

  for (const [rows, cols] of [
    [12, 5],
    [5, 12],
    [6, 6],
  ] as const) {
    it(`reconstructs a ${rows}x${cols} matrix with orthonormal singular vectors and descending values`, () => {
      const x = randomMatrix(rows, cols, rows * 31 + cols);
      const { u, s, v } = svd(x);
      const p = Math.min(rows, cols);
      const us = matrix(
        rows,
        p,
        Array.from(u.data, (value, i) => value * s[i % p]!),
      );
      expect(maxDiff(matmul(us, v, { transposeB: true }).data, x.data)).toBeLessThan(1e-12);
      expect(maxDiff(matmul(u, u, { transposeA: true }).data, identity(p).data)).toBeLessThan(1e-12);
      expect(maxDiff(matmul(v, v, { transposeA: true }).data, identity(p).data)).toBeLessThan(1e-12);
      for (let i = 1; i < p; i++) expect(s[i]!).toBeLessThanOrEqual(s[i - 1]!);
    });
  }

  it("gives zeros for the zero matrix", () => {
    expect(Array.from(svd(matrix(3, 2)).s)).toEqual([0, 0]);
  });
});

describe("choleskySolve", () => {
  it("solves G·Z = R for an SPD G exactly as hand-computed", () => {
    // G = [[4, 2], [2, 3]], R = [[2], [1]] → Z = G⁻¹R = [[0.5], [0]].
    const z = choleskySolve(matrix(2, 2, [4, 2, 2, 3]), matrix(2, 1, [2, 1]));
    expect(maxDiff(z.data, [0.5, 0])).toBeLessThan(1e-15);
  });

  it("reproduces R through G for several right-hand sides", () => {
    const x = randomMatrix(12, 5, 3);
    const g = matmul(x, x, { transposeA: true }); // XᵀX: SPD
    const r = randomMatrix(5, 3, 4);
    expect(maxDiff(matmul(g, choleskySolve(g, r)).data, r.data)).toBeLessThan(1e-10);
  });

  it("refuses a matrix that is not positive definite", () => {
    expect(() => choleskySolve(matrix(2, 2, [1, 2, 2, 1]), matrix(2, 1, [1, 1]))).toThrow(RangeError);
  });
});

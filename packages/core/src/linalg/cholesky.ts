import type { Matrix } from "./matrix.js";

/**
 * Solves G·Z = R for a symmetric positive definite G [p, p] and right-hand sides R [p, q] by
 * Cholesky (G = L·Lᵀ), then two triangular solves: the normal equations of a ridge fit are SPD by
 * construction, and Cholesky is their cheapest stable solver. Throws RangeError when G is not SPD.
 */
export function choleskySolve(g: Matrix<Float32Array | Float64Array>, r: Matrix<Float32Array | Float64Array>): Matrix {
  const p = g.rows;
  if (g.cols !== p || r.rows !== p) throw new RangeError(`choleskySolve: G is ${g.rows}x${g.cols} and R has ${r.rows} rows`);
  const q = r.cols;
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = g.data[i * p + j] as number;
      for (let k = 0; k < j; k++) sum -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(sum > 0)) throw new RangeError(`choleskySolve: matrix is not positive definite (pivot ${i} is ${sum})`);
        l[i * p + i] = Math.sqrt(sum);
      } else {
        l[i * p + j] = sum / l[j * p + j]!;
      }
    }
  }
  const z = Float64Array.from(r.data);
  // L·Y = R (forward), then Lᵀ·Z = Y (backward), all right-hand sides at once.
  for (let i = 0; i < p; i++) {
    for (let k = 0; k < i; k++) {
      const lik = l[i * p + k]!;
      if (lik !== 0) for (let c = 0; c < q; c++) z[i * q + c]! -= lik * z[k * q + c]!;
    }
    const d = l[i * p + i]!;
    for (let c = 0; c < q; c++) z[i * q + c]! /= d;
  }
  for (let i = p - 1; i >= 0; i--) {
    for (let k = i + 1; k < p; k++) {
      const lki = l[k * p + i]!;
      if (lki !== 0) for (let c = 0; c < q; c++) z[i * q + c]! -= lki * z[k * q + c]!;
    }
    const d = l[i * p + i]!;
    for (let c = 0; c < q; c++) z[i * q + c]! /= d;
  }
  return { rows: p, cols: q, data: z };
}

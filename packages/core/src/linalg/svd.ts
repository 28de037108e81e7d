import { type Matrix, transpose } from "./matrix.js";

export interface Svd {
  /** [m, p] left singular vectors, p = min(m, n) */
  readonly u: Matrix;
  /** p singular values, descending */
  readonly s: Float64Array;
  /** [n, p] right singular vectors (columns), so X = U · diag(s) · Vᵀ */
  readonly v: Matrix;
}

const MAX_SWEEPS = 60;

/**
 * Thin SVD by one-sided Jacobi (Hestenes): accurate to working precision, simple, and fast for the
 * small matrices fusion hands it (Σrank × Σrank). Not meant for large dense matrices.
 */
export function svd(x: Matrix<Float32Array | Float64Array>): Svd {
  if (x.rows < x.cols) {
    const t = svd(transpose(x));
    return { u: t.v, s: t.s, v: t.u };
  }
  const m = x.rows;
  const n = x.cols;
  // Column-major U (starts as X) and V (starts as I).
  const u = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) u[j * m + i] = x.data[i * n + j] as number;
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;

  const eps = 1e-15;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u[p * m + i]!;
          const uq = u[q * m + i]!;
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const up = u[p * m + i]!;
          const uq = u[q * m + i]!;
          u[p * m + i] = c * up - s * uq;
          u[q * m + i] = s * up + c * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v[p * n + i]!;
          const vq = v[q * n + i]!;
          v[p * n + i] = c * vp - s * vq;
          v[q * n + i] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }

  const sigma = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let i = 0; i < m; i++) norm += u[j * m + i]! * u[j * m + i]!;
    sigma[j] = Math.sqrt(norm);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => sigma[b]! - sigma[a]! || a - b);
  const uOut = new Float64Array(m * n);
  const vOut = new Float64Array(n * n);
  const sOut = new Float64Array(n);
  order.forEach((j, k) => {
    const sj = sigma[j]!;
    sOut[k] = sj;
    for (let i = 0; i < m; i++) uOut[i * n + k] = sj > 0 ? u[j * m + i]! / sj : 0;
    for (let i = 0; i < n; i++) vOut[i * n + k] = v[j * n + i]!;
  });
  return { u: { rows: m, cols: n, data: uOut }, s: sOut, v: { rows: n, cols: n, data: vOut } };
}

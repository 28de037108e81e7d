import type { Matrix } from "./matrix.js";

/**
 * Thin QR by modified Gram–Schmidt with one re-orthogonalisation pass ("twice is enough"),
 * for tall matrices with few columns (LoRA factors: out × Σrank). X [m, n] = Q [m, p] · R [p, n],
 * p = min(m, n). A column that is (numerically) dependent on the previous ones gets a zero q
 * and a zero diagonal in R, so Q·R still reproduces X exactly.
 */
export function thinQr(x: Matrix<Float32Array | Float64Array>): { q: Matrix; r: Matrix } {
  const { rows: m, cols: n } = x;
  const p = Math.min(m, n);
  // Column-major working copy so every column operation is contiguous.
  const cols = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cols[j * m + i] = x.data[i * n + j] as number;

  const q = new Float64Array(m * p); // column-major during the loop
  const r = new Float64Array(p * n);
  let basis = 0;
  for (let j = 0; j < n; j++) {
    const v = cols.subarray(j * m, (j + 1) * m);
    let original = 0;
    for (let i = 0; i < m; i++) original += v[i]! * v[i]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < basis; b++) {
        const qb = q.subarray(b * m, (b + 1) * m);
        let dot = 0;
        for (let i = 0; i < m; i++) dot += qb[i]! * v[i]!;
        r[b * n + j]! += dot;
        for (let i = 0; i < m; i++) v[i]! -= dot * qb[i]!;
      }
    }
    if (basis === p) continue; // more columns than rows: the rest lies in span(Q)
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    if (norm <= 1e-12 * Math.sqrt(original) || norm === 0) {
      continue; // dependent column: everything went into R already
    }
    const qj = q.subarray(basis * m, (basis + 1) * m);
    for (let i = 0; i < m; i++) qj[i] = v[i]! / norm;
    r[basis * n + j] = norm;
    basis++;
  }
  const qRowMajor = new Float64Array(m * p);
  for (let b = 0; b < p; b++) for (let i = 0; i < m; i++) qRowMajor[i * p + b] = q[b * m + i] as number;
  return { q: { rows: m, cols: p, data: qRowMajor }, r: { rows: p, cols: n, data: r } };
}

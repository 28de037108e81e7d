/** A dense row-major matrix. Float64 for the small factorizations, Float32 for LoRA tensors. */
export interface Matrix<T extends Float32Array | Float64Array = Float64Array> {
  readonly rows: number;
  readonly cols: number;
  readonly data: T;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  const out = new Float64Array(rows * cols);
  if (data) {
    if (data.length !== rows * cols) throw new RangeError(`expected ${rows * cols} values for a ${rows}x${cols} matrix, got ${data.length}`);
    out.set(data);
  }
  return { rows, cols, data: out };
}

/** C = A · B (or Aᵀ·B / A·Bᵀ with the transpose flags), accumulated in Float64. */
export function matmul(a: Matrix<Float32Array | Float64Array>, b: Matrix<Float32Array | Float64Array>, { transposeA = false, transposeB = false } = {}): Matrix {
  const m = transposeA ? a.cols : a.rows;
  const k = transposeA ? a.rows : a.cols;
  const kb = transposeB ? b.cols : b.rows;
  const n = transposeB ? b.rows : b.cols;
  if (k !== kb) throw new RangeError(`matmul: inner dimensions ${k} and ${kb} differ`);
  const out = new Float64Array(m * n);
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = transposeA ? (ad[p * a.cols + i] as number) : (ad[i * a.cols + p] as number);
      if (aip === 0) continue;
      const row = i * n;
      if (transposeB) {
        for (let j = 0; j < n; j++) out[row + j]! += aip * (bd[j * b.cols + p] as number);
      } else {
        const bRow = p * n;
        for (let j = 0; j < n; j++) out[row + j]! += aip * (bd[bRow + j] as number);
      }
    }
  }
  return { rows: m, cols: n, data: out };
}

export function transpose(a: Matrix<Float32Array | Float64Array>): Matrix {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j] as number;
  }
  return { rows: a.cols, cols: a.rows, data: out };
}

import { wasmKernels } from "./wasm.js";

/**
 * Column concatenation of row-major matrices: dst [rows, total] = [src₀ | src₁ | …] with
 * srcⱼ [rows, widthⱼ], zero columns after Σwidthⱼ left as they are. `cat`'s B′.
 */
export function interleaveColumns(dst: Float32Array, total: number, sources: readonly Float32Array[], widths: readonly number[], rows: number): void {
  const packed = widths.reduce((n, w) => n + w, 0) * rows;
  const kernels = packed >= 256 ? wasmKernels() : null;
  if (!kernels) {
    interleaveJs(dst, total, sources, widths, rows);
    return;
  }
  // Scratch layout: [destination rows × total | sources one after another].
  const view = kernels.scratch(rows * total + packed);
  if (packed < rows * total) view.fill(0, 0, rows * total); // zero padding columns
  let sourceAt = rows * total;
  let column = 0;
  sources.forEach((src, j) => {
    view.set(src, sourceAt);
    kernels.interleave(column * 4, total * 4, sourceAt * 4, widths[j]! * 4, rows);
    sourceAt += src.length;
    column += widths[j]!;
  });
  dst.set(view.subarray(0, rows * total));
}

function interleaveJs(dst: Float32Array, total: number, sources: readonly Float32Array[], widths: readonly number[], rows: number): void {
  let column = 0;
  sources.forEach((src, j) => {
    const width = widths[j]!;
    for (let row = 0; row < rows; row++) {
      const to = row * total + column;
      const from = row * width;
      for (let k = 0; k < width; k++) dst[to + k] = src[from + k]!;
    }
    column += width;
  });
}

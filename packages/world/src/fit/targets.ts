import { linalg } from "@semla/core";

/**
 * Regression targets for the segmentation head. The model scores class c at a patch by ⟨f, t_c⟩/‖f‖
 * (f the head's output, t_c the class's text embedding), so a head with ⟨f, t_c⟩ = h_c, h the patch's
 * class fractions, ranks classes by their share of the patch. The minimum-norm f doing that is
 * T⁺·h, with T⁺ = Tᵀ(TTᵀ)⁻¹ the pseudo-inverse of the text matrix T [C, D] (C ≤ D, rows independent).
 */
export function textPseudoInverse(text: Float32Array, classes: number, dimension: number): linalg.Matrix {
  const t = linalg.matrix(classes, dimension, text);
  const gram = linalg.matmul(t, t, { transposeB: true });
  // (TTᵀ)⁻¹·T = ((TTᵀ)⁻¹ applied to T's columns); its transpose is T⁺ [D, C].
  return linalg.transpose(linalg.choleskySolve(gram, t));
}

/**
 * Class fractions of each patch of a label map resized (whole image, no crop) onto a grid×grid patch
 * grid, as the segmenter's square preprocessing maps pixels: pixel (y, x) lands in patch
 * (⌊y·grid/H⌋, ⌊x·grid/W⌋). Labels ≥ classes (255: ignore) count for nothing. Returns [grid², classes].
 */
export function patchClassFractions(labels: Uint8Array, height: number, width: number, grid: number, classes: number): Float64Array {
  const counts = new Float64Array(grid * grid * classes);
  const totals = new Float64Array(grid * grid);
  for (let y = 0; y < height; y++) {
    const gy = Math.floor((y * grid) / height);
    for (let x = 0; x < width; x++) {
      const label = labels[y * width + x]!;
      if (label >= classes) continue;
      const patch = gy * grid + Math.floor((x * grid) / width);
      counts[patch * classes + label]! += 1;
      totals[patch]! += 1;
    }
  }
  for (let p = 0; p < grid * grid; p++) if (totals[p]! > 0) for (let c = 0; c < classes; c++) counts[p * classes + c]! /= totals[p]!;
  return counts;
}

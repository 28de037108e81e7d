import { type Matrix, matmul } from "../linalg/matrix.js";
import { thinQr } from "../linalg/qr.js";
import { svd } from "../linalg/svd.js";
import { catRank, fuseCat } from "./cat.js";
import type { FusedFactors, ModulePart } from "./module-parts.js";

/**
 * `svd`: the exact weighted ΔW = Σ wᵢ·sᵢ·BᵢAᵢ (scaling applied once — PEFT's main branch applied it
 * twice), truncated to `rank` by SVD: B′ = U_k·Σ_k, A′ = V_kᵀ.
 * ΔW is never formed: with ΔW = B̂·Â (the `cat` factors), QR of B̂ and Âᵀ reduces it to the SVD of a
 * small Σrᵢ × Σrᵢ core, exact in exact arithmetic and O((out + in)·Σrᵢ²) instead of O(out·in·min).
 */
export function fuseSvd(parts: readonly ModulePart[], rank: number, clamp?: number): FusedFactors {
  const { inFeatures, outFeatures } = parts[0]!.module;
  const joint = catRank(parts);
  const cat = fuseCat(parts, joint);
  const bHat: Matrix<Float32Array> = { rows: outFeatures, cols: joint, data: cat.b };
  // Âᵀ is [in, joint]; transposing while copying keeps QR's input tall.
  const aHatT = new Float64Array(inFeatures * joint);
  for (let k = 0; k < joint; k++) for (let i = 0; i < inFeatures; i++) aHatT[i * joint + k] = cat.a[k * inFeatures + i]!;
  const qb = thinQr(bHat);
  const qa = thinQr({ rows: inFeatures, cols: joint, data: aHatT });
  const core = svd(matmul(qb.r, qa.r, { transposeB: true }));
  const u = matmul(qb.q, core.u); // [out, p]
  const v = matmul(qa.q, core.v); // [in, p]
  const keep = Math.min(rank, core.s.length);

  const a = new Float32Array(rank * inFeatures);
  const b = new Float32Array(outFeatures * rank);
  for (let k = 0; k < keep; k++) {
    const sigma = core.s[k]!;
    for (let o = 0; o < outFeatures; o++) b[o * rank + k] = u.data[o * u.cols + k]! * sigma;
    for (let i = 0; i < inFeatures; i++) a[k * inFeatures + i] = v.data[i * v.cols + k]!;
  }
  if (clamp !== undefined) clampFactors(a, b, rank, keep, inFeatures, outFeatures, clamp);
  return { a, b };
}

/** PEFT's `svd_clamp`: clamp both factors to ±(the `q` quantile of their joint entries, torch.quantile's linear rule). */
function clampFactors(a: Float32Array, b: Float32Array, rank: number, keep: number, inFeatures: number, outFeatures: number, q: number): void {
  const values: number[] = [];
  for (let o = 0; o < outFeatures; o++) for (let k = 0; k < keep; k++) values.push(b[o * rank + k]!);
  for (let i = 0; i < keep * inFeatures; i++) values.push(a[i]!);
  if (values.length === 0) return;
  values.sort((x, y) => x - y);
  const position = q * (values.length - 1);
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  const limit = values[lo]! + (values[hi]! - values[lo]!) * (position - lo);
  const clampValue = (x: number) => Math.min(Math.max(x, -limit), limit);
  for (let i = 0; i < a.length; i++) a[i] = clampValue(a[i]!);
  for (let i = 0; i < b.length; i++) b[i] = clampValue(b[i]!);
}

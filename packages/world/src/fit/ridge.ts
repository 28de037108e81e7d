import { linalg } from "@semla/core";

type Matrix = linalg.Matrix;
type AnyMatrix = linalg.Matrix<Float32Array | Float64Array>;

/**
 * Ridge least squares for a linear layer y = W·x: W [q, p] minimising ‖X·Wᵀ − Y‖² + λ‖W − W₀‖²
 * over samples X [n, p] and targets Y [n, q]. With a prior W₀ (the base head) it is the domain fit:
 * the adapter's ΔW = W − W₀ is pulled towards zero where the domain's data says little. Solved by
 * the normal equations (XᵀX + λI)·Wᵀ = XᵀY + λW₀ᵀ, whose matrix is SPD, with Cholesky.
 */
export function ridgeFit(x: AnyMatrix, y: AnyMatrix, lambda: number, prior?: AnyMatrix): Matrix {
  if (x.rows !== y.rows) throw new RangeError(`ridgeFit: ${x.rows} samples but ${y.rows} targets`);
  if (!(lambda > 0)) throw new RangeError(`ridgeFit: lambda must be positive, got ${lambda}`);
  const p = x.cols;
  const q = y.cols;
  if (prior && (prior.rows !== q || prior.cols !== p)) throw new RangeError(`ridgeFit: prior is ${prior.rows}x${prior.cols}, expected ${q}x${p}`);
  const gram = linalg.matmul(x, x, { transposeA: true });
  for (let i = 0; i < p; i++) gram.data[i * p + i]! += lambda;
  const rhs = linalg.matmul(x, y, { transposeA: true });
  if (prior) for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) rhs.data[i * q + j]! += lambda * (prior.data[j * p + i] as number);
  return linalg.transpose(linalg.choleskySolve(gram, rhs));
}

/** λ relative to the data's scale: `relative` × mean diagonal of XᵀX, so one setting suits any feature width and sample count. */
export function relativeLambda(x: AnyMatrix, relative: number): number {
  let sum = 0;
  for (let i = 0; i < x.data.length; i++) sum += (x.data[i] as number) ** 2;
  return (relative * sum) / x.cols;
}

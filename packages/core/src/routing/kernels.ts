/**
 * Unchecked distance kernels: callers have validated dimensions, finiteness and (for cosine)
 * non-zero norms. Inputs are scaled by a power of two before squaring, which is exact, so the
 * result is bit-identical to the textbook formula in the normal range yet neither overflows for
 * huge components nor underflows to 0 for tiny ones (a spurious 0 would read as an exact match).
 */

/** A power of two close to `maxAbs` (> 0, finite); dividing by it is exact. */
function powerOfTwoScale(maxAbs: number): number {
  // log2 rounds to 1024 near Number.MAX_VALUE; 2 ** 1024 would be Infinity.
  return 2 ** Math.min(1023, Math.floor(Math.log2(maxAbs)));
}

export function euclideanKernel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs((a[i] as number) - (b[i] as number)));
  }
  if (maxAbs === 0) return 0;
  // Only when the difference of two finite values exceeds Float64: the distance is too.
  if (maxAbs === Infinity) return Infinity;
  const scale = powerOfTwoScale(maxAbs);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const r = ((a[i] as number) - (b[i] as number)) / scale;
    sum += r * r;
  }
  return scale * Math.sqrt(sum);
}

function maxAbsOf(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
}

/** 1 − cos(a, b), in [0, 2]. Both vectors must be non-zero. */
export function cosineKernel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  // Cosine is scale-invariant, so each vector gets its own scale.
  const sa = powerOfTwoScale(maxAbsOf(a));
  const sb = powerOfTwoScale(maxAbsOf(b));
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) / sa;
    const y = (b[i] as number) / sb;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const cos = dot / (Math.sqrt(na) * Math.sqrt(nb));
  // Rounding can push |cos| a hair past 1; clamp so the distance stays in [0, 2].
  return 1 - Math.min(1, Math.max(-1, cos));
}

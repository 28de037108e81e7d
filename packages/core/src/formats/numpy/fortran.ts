/**
 * Reorders a column-major (Fortran-order) array into row-major (C order), so every array this
 * module returns has one layout. Walks the output in C order, stepping the Fortran offset along.
 */
export function fortranToC(shape: readonly number[], data: Float32Array): Float32Array {
  const rank = shape.length;
  if (rank < 2 || data.length === 0) return data; // 0-d and 1-d layouts are identical in both orders
  // Fortran strides (in elements): the first axis varies fastest.
  const strides: number[] = [];
  let stride = 1;
  for (const dim of shape) {
    strides.push(stride);
    stride *= dim;
  }
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let target = 0; target < out.length; target++) {
    out[target] = data[source]!;
    // Odometer increment of the C index, last axis fastest, keeping `source` in step.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += strides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      source -= strides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

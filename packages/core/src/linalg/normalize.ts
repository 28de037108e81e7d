/**
 * L2 normalisation, as CLIP's similarity expects its embeddings: in place, row by row. A zero vector
 * has no direction and stays zero rather than becoming NaN.
 */
export function l2NormalizeInPlace(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

/** Each row of a row-major [rows, dimension] matrix normalised, in place. */
export function l2NormalizeRowsInPlace(data: Float32Array, dimension: number): Float32Array {
  if (!Number.isInteger(dimension) || dimension < 1 || data.length % dimension !== 0) throw new RangeError(`${data.length} values are not rows of ${dimension}`);
  for (let start = 0; start < data.length; start += dimension) l2NormalizeInPlace(data.subarray(start, start + dimension));
  return data;
}

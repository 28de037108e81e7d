import { decodeFloats, itemSize } from "./dtype.js";
import { NumpyFormatError } from "./errors.js";
import { fortranToC } from "./fortran.js";
import { MAX_HEADER_LENGTH, NPY_MAGIC, parseNpyHeader } from "./npy-header.js";

/** An n-dimensional float array in row-major (C) order; `shape` is `[]` for a 0-d scalar. */
export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/**
 * Parses a whole .npy file (format 1.0, 2.0 or 3.0) of little-endian f2/f4/f8 values into float32.
 * The data must be exactly ∏shape × itemsize bytes; Fortran-order arrays are transposed to C order.
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  const header = parseNpyHeader(bytes);
  const count = header.shape.reduce((n, dim) => n * dim, 1);
  const expected = count * itemSize(header.descr);
  const actual = bytes.byteLength - header.dataOffset;
  if (actual < expected) {
    throw new NumpyFormatError("truncated", { reason: `shape (${header.shape.join(", ")}) of ${header.descr} needs ${expected} data bytes, ${actual} present`, extra: { expected, actual } });
  }
  if (actual > expected) {
    throw new NumpyFormatError("trailing-data", { reason: `${actual - expected} bytes after the ${expected} data bytes`, extra: { expected, actual } });
  }
  const flat = decodeFloats(bytes.subarray(header.dataOffset), header.descr, count);
  return { shape: [...header.shape], data: header.fortranOrder ? fortranToC(header.shape, flat) : flat };
}

// numpy aligns the data to 64 bytes so it can be memory-mapped with any dtype's alignment.
const ARRAY_ALIGN = 64;
const PREAMBLE = 10; // magic (6) + version (2) + u16 header length (2)

/**
 * Writes a C-order float32 array as a version 1.0 '<f4' .npy, the header padded with spaces and a
 * newline so the data starts at a multiple of 64 bytes, as np.save does.
 */
export function writeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  for (const [axis, dim] of shape.entries()) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw new NumpyFormatError("shape", { reason: `axis ${axis} is ${dim}` });
  }
  const count = shape.reduce((n, dim) => n * dim, 1);
  if (count !== data.length) {
    throw new NumpyFormatError("data-length", { reason: `shape (${shape.join(", ")}) holds ${count} values, data has ${data.length}` });
  }
  // Python's tuple repr: (), (n,), (a, b).
  const tuple = shape.length === 1 ? `(${shape[0]!},)` : `(${shape.join(", ")})`;
  const dict = new TextEncoder().encode(`{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`); // ASCII
  const headerLength = Math.ceil((PREAMBLE + dict.length + 1) / ARRAY_ALIGN) * ARRAY_ALIGN - PREAMBLE;
  // Only a shape of well over a thousand axes gets here; readNpy would refuse the file.
  if (headerLength > MAX_HEADER_LENGTH) throw new NumpyFormatError("header-too-large", { reason: `${shape.length} axes` });
  const dataOffset = PREAMBLE + headerLength;
  const out = new Uint8Array(dataOffset + data.length * 4);
  const view = new DataView(out.buffer);
  out.set(NPY_MAGIC);
  out.set([1, 0], 6);
  view.setUint16(8, headerLength, true);
  out.set(dict, PREAMBLE);
  out.fill(0x20, PREAMBLE + dict.length, dataOffset - 1);
  out[dataOffset - 1] = 0x0a;
  for (let i = 0; i < data.length; i++) view.setFloat32(dataOffset + i * 4, data[i]!, true);
  return out;
}

import { SafetensorsError } from "./errors.js";
import { f16ToF32Bits, numberToBf16Bits, numberToF16Bits } from "./half.js";

/** Bytes per element of every dtype the safetensors spec defines. */
export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const satisfies Record<string, number>;

export type Dtype = keyof typeof DTYPE_SIZES;
/** Dtypes that convert to Float32 without losing meaning. */
export type FloatDtype = "F32" | "F16" | "BF16" | "F64";
/** Dtypes the writer can produce. */
export type WritableDtype = "F32" | "F16" | "BF16";

export function isDtype(value: string): value is Dtype {
  return Object.hasOwn(DTYPE_SIZES, value);
}

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return dtype === "F32" || dtype === "F16" || dtype === "BF16" || dtype === "F64";
}

export function isWritableDtype(dtype: string): dtype is WritableDtype {
  return dtype === "F32" || dtype === "F16" || dtype === "BF16";
}

export function dtypeSize(dtype: Dtype): number {
  return DTYPE_SIZES[dtype];
}

/** Files are little-endian; typed-array views are host-endian, so views are only safe on LE hosts. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes little-endian `dtype` elements to Float32 (F64 rounds to nearest float32; values beyond
 * its range become ±inf). An aligned F32 region on a little-endian host comes back as a zero-copy
 * view that aliases `bytes`; every other case is a fresh array.
 */
export function toFloat32(dtype: FloatDtype, bytes: Uint8Array): Float32Array {
  const size = DTYPE_SIZES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new SafetensorsError("byte-length", { reason: `${bytes.byteLength} bytes is not a whole number of ${dtype} elements` });
  }
  const count = bytes.byteLength / size;
  switch (dtype) {
    case "F32":
      if (!HOST_LITTLE_ENDIAN) return decodeF32Portable(bytes);
      if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
      return new Float32Array(bytes.slice().buffer); // slice() starts a fresh, aligned buffer
    case "F16": {
      const table = f16Table();
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer); // copy bits, so NaN payloads survive
      for (let i = 0; i < count; i++) outBits[i] = table[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
      return out;
    }
    case "BF16": {
      // bf16 is the high half of a float32: shift into a u32 view of the output (host order both sides).
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) outBits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
      return out;
    }
    case "F64": {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
  }
}

/** Little-endian F32 decode through DataView: correct on any host and any alignment. */
export function decodeF32Portable(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** Encodes Float32 values as little-endian `dtype` bytes (F16/BF16 round to nearest, ties to even). */
export function fromFloat32(dtype: WritableDtype, values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * DTYPE_SIZES[dtype]);
  writeFloat32(dtype, values, out, 0);
  return out;
}

/** Like fromFloat32 but into `target` at `offset`, so the writer builds the file in one buffer. */
export function writeFloat32(dtype: WritableDtype, values: Float32Array, target: Uint8Array, offset: number): void {
  const n = values.length;
  if (dtype === "F32") {
    if (HOST_LITTLE_ENDIAN) target.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    else encodeF32Portable(values, target, offset);
    return;
  }
  const toBits = dtype === "F16" ? numberToF16Bits : numberToBf16Bits;
  for (let i = 0; i < n; i++) {
    const bits = toBits(values[i]!);
    target[offset + 2 * i] = bits & 0xff;
    target[offset + 2 * i + 1] = bits >>> 8;
  }
}

/** Little-endian F32 encode through DataView: correct on any host. */
export function encodeF32Portable(values: Float32Array, target: Uint8Array, offset: number): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, values.byteLength);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
}

// Built on first F16 decode: 256 KiB that most processes (F32 adapters) never need.
let f16Bits: Uint32Array | undefined;

function f16Table(): Uint32Array {
  if (f16Bits === undefined) {
    f16Bits = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Bits[h] = f16ToF32Bits(h);
  }
  return f16Bits;
}

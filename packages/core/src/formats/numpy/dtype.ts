import { f16BitsToNumber } from "../safetensors/half.js";
import { NumpyFormatError } from "./errors.js";

/** The .npy dtypes this reader converts to float32: little-endian IEEE floats only. */
export type NpyFloatDescr = "<f2" | "<f4" | "<f8";

const ITEM_SIZES: Readonly<Record<NpyFloatDescr, number>> = { "<f2": 2, "<f4": 4, "<f8": 8 };

export function itemSize(descr: NpyFloatDescr): number {
  return ITEM_SIZES[descr];
}

/**
 * Validates a header's 'descr' string. Big-endian floats get their own error because the fix is
 * simple (re-save little-endian); '=' (native) is refused as its byte order depends on the writer.
 */
export function parseDescr(descr: string): NpyFloatDescr {
  if (descr === "<f2" || descr === "<f4" || descr === "<f8") return descr;
  if (descr === ">f2" || descr === ">f4" || descr === ">f8") {
    throw new NumpyFormatError("big-endian", { reason: `descr ${JSON.stringify(descr)}`, extra: { descr } });
  }
  throw new NumpyFormatError("descr", { reason: `descr ${JSON.stringify(descr)}`, extra: { descr } });
}

/** Reads `count` values of `descr` from little-endian bytes, rounding to float32 (f8 may overflow to ±Infinity). */
export function decodeFloats(bytes: Uint8Array, descr: NpyFloatDescr, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (descr === "<f4") for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  else if (descr === "<f8") for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  else for (let i = 0; i < count; i++) out[i] = f16BitsToNumber(view.getUint16(i * 2, true));
  return out;
}

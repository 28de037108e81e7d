/**
 * Scalar conversions between float32 and the 16-bit floats (IEEE binary16 "F16" and bfloat16
 * "BF16"), done on bit patterns so rounding (nearest, ties to even), subnormals, infinities
 * and NaN payloads are exact rather than approximated with Math functions.
 */

// One shared scratch word: writing a float and reading its bits back is the only portable bitcast.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The IEEE float32 bit pattern of `x` (rounded to float32 first). */
export function float32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0]!;
}

/** The float32 whose bit pattern is `bits`. */
export function float32FromBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0]!;
}

/** Float32 bit pattern of a binary16 value: every F16 is exactly representable in F32. */
export function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf, NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // rebias 15 -> 127
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal mant·2^-24 is a normal float32: normalise the mantissa.
  let e = 113; // exponent of 2^-14 in float32 bias, decremented per shift
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** The value of a binary16 bit pattern. */
export function f16BitsToNumber(h: number): number {
  return float32FromBits(f16ToF32Bits(h));
}

/** Binary16 bit pattern nearest to `x` (ties to even); overflow gives ±inf, NaN stays NaN. */
export function numberToF16Bits(x: number): number {
  const b = float32Bits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // quiet NaN
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal (or zero): value = full · 2^(e-14-10) in units of 2^-24.
    if (e < -10) return sign; // below half the smallest subnormal
    const full = mant | 0x800000;
    const shift = 14 - e;
    return sign | roundShift(full, shift);
  }
  // Normal: carrying out of the mantissa bumps the exponent, up to inf, as it should.
  const h = (e << 10) | (mant >>> 13);
  return sign | roundBits(h, mant & 0x1fff, 0x1000);
}

/** bfloat16 bit pattern nearest to `x` (ties to even); overflow gives ±inf, NaN stays NaN. */
export function numberToBf16Bits(x: number): number {
  const b = float32Bits(x);
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40; // quiet NaN
  return (b >>> 16) + roundUp(b & 0xffff, 0x8000, (b >>> 16) & 1);
}

/** The value of a bfloat16 bit pattern: it is the high half of a float32. */
export function bf16BitsToNumber(h: number): number {
  return float32FromBits((h & 0xffff) << 16);
}

function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  return roundBits(kept, value & ((1 << shift) - 1), 1 << (shift - 1));
}

function roundBits(kept: number, rest: number, half: number): number {
  return kept + roundUp(rest, half, kept & 1);
}

/** 1 when the discarded bits round the kept part up: above half, or exactly half and odd. */
function roundUp(rest: number, half: number, oddKept: number): number {
  return rest > half || (rest === half && oddKept === 1) ? 1 : 0;
}

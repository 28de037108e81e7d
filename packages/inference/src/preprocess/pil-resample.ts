import type { ImagePreprocessing } from "@semla/models";

type Resample = ImagePreprocessing["resample"];

import type { RawRgbImage } from "./decode.js";

/**
 * PIL's Image.resize on 8-bit RGB, step for step (libImaging/Resample.c and Geometry.c), so that an
 * enlarged image gets exactly the values transformers gets:
 * - bilinear and bicubic (a = −0.5): separable, horizontal pass first (rounded to 8 bits), then
 *   vertical; each output pixel's centre (x + 0.5)·scale, the kernel widened by the scale when
 *   shrinking, taps outside the image dropped and the rest renormalised, weights in fixed point with
 *   22 fractional bits, rounded half up and clipped to 0..255;
 * - nearest: source pixel floor((x + 0.5)·scale).
 * Used where libvips' upsampling (which samples a quarter pixel away from PIL's centres) would differ;
 * shrinking goes through sharp, whose reduce kernels are PIL's to a grey level or two.
 */

const PRECISION_BITS = 32 - 8 - 2;

const FILTERS: Readonly<Record<Exclude<Resample, "nearest">, { support: number; weight: (x: number) => number }>> = {
  bilinear: {
    support: 1,
    weight: (x) => {
      const t = Math.abs(x);
      return t < 1 ? 1 - t : 0;
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

interface Coefficients {
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** Fixed-point weights, `size` per output pixel. */
  readonly weights: Int32Array;
  readonly size: number;
}

/** precompute_coeffs + normalize_coeffs_8bpc. */
function coefficients(inSize: number, outSize: number, filter: (typeof FILTERS)["bicubic"]): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * size);
  const k = new Float64Array(size);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) truncates toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) / filterScale);
      k[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum === 0 ? (k[x] as number) : (k[x] as number) / sum;
      weights[xx * size + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, size };
}

/** The sum's integer part, clipped: sums stay within int32 (why PIL keeps 22 fractional bits), so `>>` floors as C's does. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return Math.max(0, Math.min(255, v));
}

/** One separable pass along x (horizontal) or y, 8-bit in and out. */
function pass(src: RawRgbImage, outSize: number, horizontal: boolean, filter: (typeof FILTERS)["bicubic"]): RawRgbImage {
  const { width, height, data } = src;
  const c = coefficients(horizontal ? width : height, outSize, filter);
  const outWidth = horizontal ? outSize : width;
  const outHeight = horizontal ? height : outSize;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const xx = horizontal ? x : y;
      const first = c.start[xx] as number;
      const n = c.count[xx] as number;
      const base = xx * c.size;
      let r = half;
      let g = half;
      let b = half;
      for (let i = 0; i < n; i++) {
        const w = c.weights[base + i] as number;
        const at = horizontal ? (y * width + first + i) * 3 : ((first + i) * width + x) * 3;
        r += (data[at] as number) * w;
        g += (data[at + 1] as number) * w;
        b += (data[at + 2] as number) * w;
      }
      const to = (y * outWidth + x) * 3;
      out[to] = clip8(r);
      out[to + 1] = clip8(g);
      out[to + 2] = clip8(b);
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

function nearest(src: RawRgbImage, width: number, height: number): RawRgbImage {
  const out = new Uint8Array(width * height * 3);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    const yin = Math.min(Math.floor((y + 0.5) * sy), src.height - 1);
    for (let x = 0; x < width; x++) {
      const xin = Math.min(Math.floor((x + 0.5) * sx), src.width - 1);
      out.set(src.data.subarray((yin * src.width + xin) * 3, (yin * src.width + xin) * 3 + 3), (y * width + x) * 3);
    }
  }
  return { data: out, width, height };
}

/** PIL's `image.resize((width, height), resample)` of 8-bit RGB. */
export function pilResize(src: RawRgbImage, width: number, height: number, resample: Resample): RawRgbImage {
  if (src.width === width && src.height === height) return src;
  if (resample === "nearest") return nearest(src, width, height);
  const filter = FILTERS[resample];
  const horizontal = src.width === width ? src : pass(src, width, true, filter);
  return horizontal.height === height ? horizontal : pass(horizontal, height, false, filter);
}

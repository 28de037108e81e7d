import { wasmKernels } from "./wasm.js";

/** Floats per trip through the kernel memory: bounds its size. */
const CHUNK = 65536;

/**
 * dst[offset + i] = fl32(fl32(factor) · src[i]): `cat`'s A′ = wᵢ·sᵢ·Aᵢ. The JS fallback matches the
 * SIMD kernel bit for bit: a product of two float32 is exact in float64, so one rounding to float32
 * equals f32.mul.
 */
export function scaleF32(dst: Float32Array, offset: number, src: Float32Array, factor: number): void {
  const kernels = src.length >= 64 ? wasmKernels() : null;
  if (!kernels) {
    const f = Math.fround(factor);
    for (let i = 0; i < src.length; i++) dst[offset + i] = f * src[i]!;
    return;
  }
  const view = kernels.scratch(Math.min(CHUNK, src.length));
  for (let start = 0; start < src.length; start += CHUNK) {
    const count = Math.min(CHUNK, src.length - start);
    view.set(src.subarray(start, start + count));
    kernels.scale(0, count, factor);
    dst.set(view.subarray(0, count), offset + start);
  }
}

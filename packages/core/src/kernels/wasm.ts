/**
 * The WebAssembly copy kernels of `cat` fusion (source: kernels.wat beside this file, 268 bytes).
 * Plain JS typed-array loops move ~0.5 GB/s; these SIMD loops run near memory speed, with inputs and
 * outputs crossing into the kernel's scratch memory by memcpy (TypedArray.set). Where WebAssembly
 * cannot be compiled at run time (some edge runtimes) callers fall back to bit-identical JS loops.
 */
export const KERNELS_WASM_BASE64 =
  "AGFzbQEAAAABDwJgA39/fQBgBX9/f39/AAMDAgABBQMBAAEHHwMGbWVtb3J5AgAFc2NhbGUAAAppbnRlcmxlYXZlAAEKxQECPQIBfwF7IAL9EyEEIAAgAUECdGohAwJAA0AgACADTw0BIAAgAP0ABAAgBP3mAf0LBAAgAEEQaiEADAALCwuEAQEDfyACIAMgBGxqIQUgA0FwcSEHAkADQCACIAVPDQFBACEGAkADQCAGIAdPDQEgACAGaiACIAZq/QAEAP0LBAAgBkEQaiEGDAALCwJAA0AgBiADTw0BIAAgBmogAiAGaigCADYCACAGQQRqIQYMAAsLIAIgA2ohAiAAIAFqIQAMAAsLCw==";

export interface Kernels {
  /** scale(pointer, count, factor): count float32 at pointer times fl32(factor), in place. */
  readonly scale: (pointer: number, count: number, factor: number) => void;
  /** interleave(dst, strideBytes, src, widthBytes, rows): packed rows of src to strided rows of dst. */
  readonly interleave: (dst: number, stride: number, src: number, width: number, rows: number) => void;
  /** A Float32Array over the kernel memory, at least `floats` long (grows the memory if needed). */
  scratch(floats: number): Float32Array;
}

/** The slice of the WebAssembly JS API used here, typed locally: core compiles without DOM types. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65536;
let kernels: Kernels | null | undefined;

export function wasmKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) {
      kernels = null;
      return kernels;
    }
    const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
    const { exports } = new api.Instance(new api.Module(bytes));
    const memory = exports.memory as WasmMemory;
    let view = new Float32Array(memory.buffer);
    kernels = {
      scale: exports.scale as Kernels["scale"],
      interleave: exports.interleave as Kernels["interleave"],
      scratch(floats) {
        const bytesNeeded = floats * 4;
        if (memory.buffer.byteLength < bytesNeeded) {
          memory.grow(Math.ceil((bytesNeeded - memory.buffer.byteLength) / PAGE));
        }
        if (view.buffer !== memory.buffer) view = new Float32Array(memory.buffer);
        return view;
      },
    };
  } catch {
    kernels = null;
  }
  return kernels;
}

/** For tests: force the JS fallbacks (true) or the default detection (false). */
export function disableWasmKernels(disabled: boolean): void {
  kernels = disabled ? null : undefined;
}

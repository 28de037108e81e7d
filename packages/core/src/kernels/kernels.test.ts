import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import wabt from "wabt";
import { createPrng } from "../random/prng.js";
import { interleaveColumns } from "./interleave-columns.js";
import { scaleF32 } from "./scale-f32.js";
import { disableWasmKernels, KERNELS_WASM_BASE64, wasmKernels } from "./wasm.js";

function randomF32(n: number, seed: number): Float32Array {
  const random = createPrng(seed);
  return Float32Array.from({ length: n }, () => random.normal());
}

/** Runs `fn` once with the WebAssembly kernels and once with the JS fallbacks. */
function bothPaths<T>(fn: () => T): { wasm: T; js: T } {
  disableWasmKernels(false);
  const wasm = fn();
  disableWasmKernels(true);
  const js = fn();
  disableWasmKernels(false);
  return { wasm, js };
}

afterEach(() => disableWasmKernels(false));

describe("WebAssembly copy kernels", () => {
  it("are the compiled kernels.wat, byte for byte", async () => {
    const source = readFileSync(new URL("./kernels.wat", import.meta.url), "utf8");
    const module = (await wabt()).parseWat("kernels.wat", source, { simd: true });
    const compiled = Buffer.from(module.toBinary({}).buffer).toString("base64");
    expect(compiled).toBe(KERNELS_WASM_BASE64);
  });

  it("load on this runtime", () => {
    expect(wasmKernels()).not.toBeNull();
  });

  it("scaleF32 writes fl32(fl32(f)·x) at the offset, identically on both paths, across chunk boundaries", () => {
    const src = randomF32(70_001, 1);
    const { wasm, js } = bothPaths(() => {
      const dst = new Float32Array(src.length + 3);
      scaleF32(dst, 3, src, 0.1234567891);
      return dst;
    });
    expect(Buffer.from(wasm.buffer).equals(Buffer.from(js.buffer))).toBe(true);
    const f = Math.fround(0.1234567891);
    expect(wasm[3]).toBe(Math.fround(f * src[0]!));
    expect(wasm[3 + 70_000]).toBe(Math.fround(f * src[70_000]!));
    expect(Array.from(wasm.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it("interleaveColumns concatenates row-major matrices by columns, padding columns untouched, on both paths", () => {
    const rows = 37;
    const widths = [8, 3, 5];
    const sources = widths.map((w, j) => randomF32(rows * w, 10 + j));
    const { wasm, js } = bothPaths(() => {
      const dst = new Float32Array(rows * 18);
      interleaveColumns(dst, 18, sources, widths, rows);
      return dst;
    });
    expect(Array.from(wasm)).toEqual(Array.from(js));
    // Row 5: columns 0-7 from source 0, 8-10 from source 1, 11-15 from source 2, 16-17 zero.
    expect(Array.from(wasm.subarray(5 * 18, 6 * 18))).toEqual([...sources[0]!.subarray(5 * 8, 6 * 8), ...sources[1]!.subarray(5 * 3, 6 * 3), ...sources[2]!.subarray(5 * 5, 6 * 5), 0, 0]);
  });
});

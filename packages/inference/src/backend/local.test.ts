import { describe, expect, it } from "vitest";
import { createAdapterResolver } from "../transport/adapter-resolver.js";
import { sha256Hex } from "@semla/storage";
import { ONE_PIXEL_PNG, safetensorsOf, smallAdapter } from "../transport/test-fixtures.js";
import type { SegmentationInput, SegmentationOutput, Segmenter } from "../types.js";
import { createLocalBackend } from "./local.js";

/** Records its inputs; answers after `delayMs`, or as soon as the signal aborts. */
function fakeSegmenter(delayMs = 0): Segmenter & { inputs: SegmentationInput[]; closed: boolean } {
  const fake = {
    inputs: [] as SegmentationInput[],
    closed: false,
    segment(input: SegmentationInput, options: { signal?: AbortSignal } = {}): Promise<SegmentationOutput> {
      fake.inputs.push(input);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => resolve({ maskPng: ONE_PIXEL_PNG, width: 1, height: 1, scores: input.classNames.map((className) => ({ className, pixelFraction: 0.5, meanProbability: 0.5 })), timings: { segmentMs: delayMs } }),
          delayMs,
        );
        options.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(options.signal!.reason);
        });
      });
    },
    async close() {
      fake.closed = true;
    },
  };
  return fake;
}

describe("local backend", () => {
  const adapter = smallAdapter(4);
  const weights = safetensorsOf(adapter);
  const inline = { kind: "inline" as const, sha256: sha256Hex(weights), config: adapter.config, weights };
  const image = new Uint8Array([1, 2, 3]);

  it("resolves the adapter and runs the segmenter in-process", async () => {
    const segmenter = fakeSegmenter();
    const backend = createLocalBackend({ segmenter, resolver: createAdapterResolver() });
    expect(backend.kind).toBe("local");
    const first = await backend.infer({ image, classNames: ["a", "b"], adapter: inline });
    expect(first).toEqual({
      maskPng: ONE_PIXEL_PNG,
      width: 1,
      height: 1,
      scores: [
        { className: "a", pixelFraction: 0.5, meanProbability: 0.5 },
        { className: "b", pixelFraction: 0.5, meanProbability: 0.5 },
      ],
      timings: { segmentMs: 0 },
      adapter: { kind: "inline", sha256: inline.sha256, cached: false },
    });
    expect(segmenter.inputs[0]!.adapter!.modules.map((m) => m.name)).toEqual(adapter.modules.map((m) => m.name));
    expect((await backend.infer({ image, classNames: ["a"], adapter: inline })).adapter).toEqual({ kind: "inline", sha256: inline.sha256, cached: true });
    expect(segmenter.inputs[1]!.adapter).toBe(segmenter.inputs[0]!.adapter);
    await backend.close();
    expect(segmenter.closed).toBe(true);
  });

  it("applies the same request rules as the endpoint", async () => {
    const segmenter = fakeSegmenter();
    const backend = createLocalBackend({ segmenter, resolver: createAdapterResolver() });
    await expect(backend.infer({ image, classNames: [], adapter: { kind: "none" } })).rejects.toMatchObject({ code: "segment.no-classes" });
    await expect(backend.infer({ image, classNames: ["a", "a"], adapter: { kind: "none" } })).rejects.toMatchObject({ code: "segment.duplicate-class-name" });
    await expect(backend.infer({ image, classNames: ["a"], requestId: "a b", adapter: { kind: "none" } })).rejects.toMatchObject({ code: "transport.invalid-invocation" });
    await expect(backend.infer({ image, classNames: ["a"], adapter: { ...inline, sha256: "0".repeat(64) } })).rejects.toMatchObject({ code: "adapter-reference.integrity" });
    expect(segmenter.inputs).toHaveLength(0);
  });

  it("times out with backend.timeout, and passes the caller's abort through", async () => {
    const backend = createLocalBackend({ segmenter: fakeSegmenter(10_000), resolver: createAdapterResolver() });
    await expect(backend.infer({ image, classNames: ["a"], adapter: { kind: "none" } }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: "backend.timeout",
      message: "inference did not finish within 50 ms",
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("client went away")), 20);
    await expect(backend.infer({ image, classNames: ["a"], adapter: { kind: "none" } }, { signal: controller.signal, timeoutMs: 5000 })).rejects.toThrow("client went away");
  });

  it("bounds every inference by its configured timeout when the call gives none (SEMLA_BACKEND_TIMEOUT_MS); a call's own wins", async () => {
    const backend = createLocalBackend({ segmenter: fakeSegmenter(10_000), resolver: createAdapterResolver(), timeoutMs: 40 });
    await expect(backend.infer({ image, classNames: ["a"], adapter: { kind: "none" } })).rejects.toMatchObject({
      code: "backend.timeout",
      details: { timeoutMs: 40 },
    });
    const quick = createLocalBackend({ segmenter: fakeSegmenter(60), resolver: createAdapterResolver(), timeoutMs: 20 });
    expect((await quick.infer({ image, classNames: ["a"], adapter: { kind: "none" } }, { timeoutMs: 5000 })).width).toBe(1);
    expect(() => createLocalBackend({ segmenter: fakeSegmenter(), resolver: createAdapterResolver(), timeoutMs: 0 })).toThrow(RangeError);
  });
});

import { createAdapters, type Mixture, mixtureSha256 } from "@semla/adapters";
import { type CountingStore, countingStoreWith, smallAdapter, sourcesOf } from "@semla/adapters/testing";
import { fusion } from "@semla/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ONE_PIXEL_PNG } from "../testing/transport.js";
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
          () =>
            resolve({
              maskPng: ONE_PIXEL_PNG,
              width: 1,
              height: 1,
              scores: input.classNames.map((className) => ({ className, pixelFraction: 0.5, meanProbability: 0.5 })),
              timings: { segmentMs: delayMs },
            }),
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
  const adapters = [smallAdapter(4), smallAdapter(5)];
  const { sources, files } = sourcesOf(adapters, [0.6, 0.4]);
  const mixture: Mixture = { sources, options: { combination: "cat" } };
  const image = new Uint8Array([1, 2, 3]);
  let store: CountingStore;
  beforeEach(async () => {
    store = await countingStoreWith(sources, files);
  });
  afterEach(() => store.remove());

  it("fuses the mixture in process and hands the segmenter the fused adapter itself", async () => {
    const segmenter = fakeSegmenter();
    const backend = createLocalBackend({ segmenter, adapters: createAdapters({ store }) });
    expect(backend.kind).toBe("local");
    const stages: string[] = [];
    const first = await backend.infer({ image, classNames: ["a", "b"], mixture }, { stage: (name, work) => (stages.push(name), work()) });
    expect(first).toEqual({
      maskPng: ONE_PIXEL_PNG,
      width: 1,
      height: 1,
      scores: [
        { className: "a", pixelFraction: 0.5, meanProbability: 0.5 },
        { className: "b", pixelFraction: 0.5, meanProbability: 0.5 },
      ],
      timings: { segmentMs: 0 },
      adapter: { kind: "in-process", sha256: mixtureSha256(mixture), cached: false },
      fusion: { at: "api", cached: false },
    });
    expect(stages).toEqual(["load", "fuse", "infer"]);
    const byHand = fusion.fuseAdapters(adapters.map((adapter, i) => ({ adapter, weight: sources[i]!.weight })));
    expect(segmenter.inputs[0]!.adapter!.modules.map((m) => [...m.a])).toEqual(byHand.modules.map((m) => [...m.a]));
    const second = await backend.infer({ image, classNames: ["a"], mixture });
    expect([second.adapter, second.fusion]).toEqual([
      { kind: "in-process", sha256: mixtureSha256(mixture), cached: true },
      { at: "api", cached: true },
    ]);
    expect(segmenter.inputs[1]!.adapter).toBe(segmenter.inputs[0]!.adapter);
    await backend.close();
    expect(segmenter.closed).toBe(true);
  });

  it("never serialises, hashes, stores or reloads: each source is read once, nothing is written", async () => {
    const backend = createLocalBackend({ segmenter: fakeSegmenter(), adapters: createAdapters({ store }) });
    // Over SageMaker's 6 MB or not, linear or cat: the local backend has no payload rule.
    for (const options of [{ combination: "cat" as const }, { combination: "linear" as const }]) {
      for (let i = 0; i < 3; i++) await backend.infer({ image, classNames: ["a"], mixture: { sources, options } });
    }
    expect(store.calls).toEqual({ get: sources.length, put: 0, head: 0 });
    const keys: string[] = [];
    for await (const info of store.list("")) keys.push(info.key);
    expect(keys.filter((key) => key.startsWith("fused/"))).toEqual([]);
  });

  it("runs zero-shot without a mixture", async () => {
    const segmenter = fakeSegmenter();
    const backend = createLocalBackend({ segmenter, adapters: createAdapters({ store }) });
    const result = await backend.infer({ image, classNames: ["a"], mixture: null });
    expect([result.adapter, result.fusion]).toEqual([{ kind: "none", sha256: null, cached: false }, null]);
    expect(segmenter.inputs[0]!.adapter).toBeNull();
  });

  it("applies the same request rules as the endpoint, and a missing source is the service's own failure", async () => {
    const segmenter = fakeSegmenter();
    const backend = createLocalBackend({ segmenter, adapters: createAdapters({ store }) });
    await expect(backend.infer({ image, classNames: [], mixture: null })).rejects.toMatchObject({ code: "segment.no-classes" });
    await expect(backend.infer({ image, classNames: ["a", "a"], mixture: null })).rejects.toMatchObject({ code: "segment.duplicate-class-name" });
    await expect(backend.infer({ image, classNames: ["a"], requestId: "a b", mixture: null })).rejects.toMatchObject({ code: "transport.invalid-invocation" });
    await store.delete(sources[1]!.objectKey);
    await expect(backend.infer({ image, classNames: ["a"], mixture })).rejects.toMatchObject({ code: "adapters.missing-object", kind: "internal" });
    expect(segmenter.inputs).toHaveLength(0);
  });

  it("times out with backend.timeout, and passes the caller's abort through", async () => {
    const backend = createLocalBackend({ segmenter: fakeSegmenter(10_000), adapters: createAdapters() });
    await expect(backend.infer({ image, classNames: ["a"], mixture: null }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: "backend.timeout",
      message: "inference did not finish within 50 ms",
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("client went away")), 20);
    await expect(backend.infer({ image, classNames: ["a"], mixture: null }, { signal: controller.signal, timeoutMs: 5000 })).rejects.toThrow("client went away");
  });

  it("bounds every inference by its configured timeout when the call gives none (SEMLA_BACKEND_TIMEOUT_MS); a call's own wins", async () => {
    const backend = createLocalBackend({ segmenter: fakeSegmenter(10_000), adapters: createAdapters(), timeoutMs: 40 });
    await expect(backend.infer({ image, classNames: ["a"], mixture: null })).rejects.toMatchObject({
      code: "backend.timeout",
      details: { timeoutMs: 40 },
    });
    const quick = createLocalBackend({ segmenter: fakeSegmenter(60), adapters: createAdapters(), timeoutMs: 20 });
    expect((await quick.infer({ image, classNames: ["a"], mixture: null }, { timeoutMs: 5000 })).width).toBe(1);
    expect(() => createLocalBackend({ segmenter: fakeSegmenter(), adapters: createAdapters(), timeoutMs: 0 })).toThrow(RangeError);
  });
});

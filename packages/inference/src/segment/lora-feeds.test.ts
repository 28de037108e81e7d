import type { LoraAdapter, LoraModule } from "@semla/core";
import { describe, expect, it } from "vitest";
import { SegmentationError } from "./errors.js";
import { loraFeeds } from "./lora-feeds.js";

const TARGETS = [
  { name: "blocks.0.q", inFeatures: 4, outFeatures: 3 },
  { name: "blocks.0.fc", inFeatures: 3, outFeatures: 2 },
];

function module(name: string, rank: number, inFeatures: number, outFeatures: number, scaling: number): LoraModule {
  return {
    name,
    rank,
    alpha: scaling * rank,
    scaling,
    inFeatures,
    outFeatures,
    a: Float32Array.from({ length: rank * inFeatures }, (_, i) => i + 1),
    b: Float32Array.from({ length: outFeatures * rank }, (_, i) => (i + 1) / 10),
  };
}

function adapter(...modules: LoraModule[]): LoraAdapter {
  return { config: {} as LoraAdapter["config"], modules };
}

function thrown(fn: () => unknown): SegmentationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SegmentationError);
    return error as SegmentationError;
  }
  throw new Error("expected a SegmentationError");
}

describe("loraFeeds", () => {
  it("feeds A and B·scaling for the adapter's modules and rank 0 for the others", () => {
    const m = module("blocks.0.q", 2, 4, 3, 0.5);
    const feeds = loraFeeds(TARGETS, adapter(m));
    expect(Object.keys(feeds)).toEqual(["blocks.0.q.lora_A.weight", "blocks.0.q.lora_B.weight", "blocks.0.fc.lora_A.weight", "blocks.0.fc.lora_B.weight"]);
    expect(feeds["blocks.0.q.lora_A.weight"]).toEqual({ type: "float32", data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), dims: [2, 4] });
    expect(feeds["blocks.0.q.lora_B.weight"]).toEqual({
      type: "float32",
      data: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], (v) => Math.fround(v) * 0.5),
      dims: [3, 2],
    });
    expect(feeds["blocks.0.fc.lora_A.weight"]).toEqual({ type: "float32", data: new Float32Array(0), dims: [0, 3] });
    expect(feeds["blocks.0.fc.lora_B.weight"]).toEqual({ type: "float32", data: new Float32Array(0), dims: [2, 0] });
  });

  it("copies: the adapter's arrays are not handed out (the pool detaches what it sends)", () => {
    const m = module("blocks.0.q", 1, 4, 3, 1);
    const feeds = loraFeeds(TARGETS, adapter(m));
    expect(feeds["blocks.0.q.lora_A.weight"]!.data.buffer).not.toBe(m.a.buffer);
    expect(feeds["blocks.0.q.lora_B.weight"]!.data.buffer).not.toBe(m.b.buffer);
    expect(Array.from(feeds["blocks.0.q.lora_B.weight"]!.data as Float32Array)).toEqual(Array.from(m.b)); // scaling 1 (fused): B as is
  });

  it("feeds rank 0 everywhere without an adapter", () => {
    const feeds = loraFeeds(TARGETS, null);
    expect(Object.values(feeds).map((f) => [f.dims, f.data.length])).toEqual([
      [[0, 4], 0],
      [[3, 0], 0],
      [[0, 3], 0],
      [[2, 0], 0],
    ]);
  });

  it("refuses a module the model does not have, naming it", () => {
    const error = thrown(() => loraFeeds(TARGETS, adapter(module("blocks.9.q", 2, 4, 3, 1))));
    expect(error.code).toBe("segment.unknown-module");
    expect(error.message).toBe("adapter module blocks.9.q is not a LoRA target of the segmentation model");
    expect(error.details).toEqual({ rule: "unknown-module", module: "blocks.9.q" });
  });

  it("refuses a shape mismatch, naming the module and both shapes", () => {
    const error = thrown(() => loraFeeds(TARGETS, adapter(module("blocks.0.q", 2, 5, 3, 1))));
    expect(error.code).toBe("segment.module-shape");
    expect(error.message).toBe("adapter module blocks.0.q has A [2, 5] and B [3, 2]; the model expects A [r, 4] and B [3, r]");
    expect(error.details).toMatchObject({
      module: "blocks.0.q",
      adapterShape: { a: [2, 5], b: [3, 2] },
      modelShape: { inFeatures: 4, outFeatures: 3 },
    });
  });

  it("refuses factors whose value counts do not match the declared rank", () => {
    const m = { ...module("blocks.0.fc", 2, 3, 2, 1), a: new Float32Array(5) };
    const error = thrown(() => loraFeeds(TARGETS, adapter(m)));
    expect(error.message).toBe("adapter module blocks.0.fc has A [2, 3] and B [2, 2] (holding 5 and 4 values); the model expects A [r, 3] and B [2, r]");
  });
});

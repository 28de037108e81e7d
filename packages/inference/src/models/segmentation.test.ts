import { type LoraAdapter, type LoraModule, randomAdapter } from "@semla/core";
import { onnx, SEGMENTATION_OUTPUT, SEGMENTATION_PIXELS, SEGMENTATION_TEXT } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession, type OrtFeed, type OrtSession } from "../runtime/ort.js";
import { loraFeeds } from "../segment/lora-feeds.js";
import { maxAbs, maxAbsDifference, normalArray } from "../testing/arrays.js";

const config = onnx.SEGMENTATION_TINY;
const SEED = 31;
const modules = onnx.segmentationLoraModules(config);
const S = config.imageSize;

/** A random adapter with its own rank per module (1 to 4), one module left at rank 0 (absent). */
function mixedRankAdapter(): LoraAdapter {
  const ranks = modules.map((_, i) => (i === 3 ? 0 : 1 + ((i * 7) % 4)));
  const picked: LoraModule[] = [];
  modules.forEach((shape, i) => {
    const rank = ranks[i]!;
    if (rank === 0) return;
    // std 0.1 with alpha 2·rank: a ΔW of the order of W, so the adapter visibly moves the logits.
    picked.push(randomAdapter({ modules: [shape], rank, seed: 100 + i, std: 0.1 }).modules[0]!);
  });
  const base = randomAdapter({ modules: modules.slice(0, 1), rank: 1, seed: 1 });
  return { config: base.config, modules: picked };
}

function baseFeeds(): Record<string, OrtFeed> {
  return {
    [SEGMENTATION_PIXELS]: { type: "float32", data: normalArray(2 * 3 * S * S, 5, "pixels"), dims: [2, 3, S, S] },
    [SEGMENTATION_TEXT]: { type: "float32", data: normalArray(3 * config.embedDim, 6, "text"), dims: [3, config.embedDim] },
  };
}

async function sessionFor(graph: onnx.Graph): Promise<OrtSession> {
  return createOrtSession(onnx.encodeModel(graph), { intraOpThreads: 1 });
}

describe("segmentation model in ONNX Runtime", () => {
  const adapter = mixedRankAdapter();
  let lora: OrtSession;
  let baked: OrtSession;
  let base: OrtSession;
  beforeAll(async () => {
    [lora, baked, base] = await Promise.all([
      sessionFor(onnx.buildSegmentationModel(config, SEED)),
      sessionFor(onnx.buildSegmentationModel(config, SEED, { bakedAdapter: adapter })),
      sessionFor(onnx.buildSegmentationModel(config, SEED, { loraInputs: false })),
    ]);
  });
  afterAll(() => Promise.all([lora.release(), baked.release(), base.release()]));

  it("returns logits [batch, classes, S, S]", async () => {
    const out = await base.run(baseFeeds());
    expect(out[SEGMENTATION_OUTPUT]!.dims).toEqual([2, 3, S, S]);
  });

  it("with an adapter fed as LoRA inputs (mixed ranks, one module at rank 0) equals the model with it baked in", async () => {
    expect(adapter.modules).toHaveLength(modules.length - 1);
    const [fed, merged, plain] = await Promise.all([lora.run({ ...baseFeeds(), ...loraFeeds(onnx.segmentationLoraModules(config), adapter) }), baked.run(baseFeeds()), base.run(baseFeeds())]);
    expect(maxAbsDifference(fed[SEGMENTATION_OUTPUT]!.data, merged[SEGMENTATION_OUTPUT]!.data)).toBeLessThan(1e-4);
    // ...and the adapter does change the output, so the equality above is not vacuous.
    expect(maxAbsDifference(fed[SEGMENTATION_OUTPUT]!.data, plain[SEGMENTATION_OUTPUT]!.data)).toBeGreaterThan(1e-1);
  });

  it("with every module at rank 0 equals the base model", async () => {
    const [fed, plain] = await Promise.all([lora.run({ ...baseFeeds(), ...loraFeeds(onnx.segmentationLoraModules(config), null) }), base.run(baseFeeds())]);
    expect(maxAbs(plain[SEGMENTATION_OUTPUT]!.data)).toBeGreaterThan(1);
    expect(maxAbsDifference(fed[SEGMENTATION_OUTPUT]!.data, plain[SEGMENTATION_OUTPUT]!.data)).toBeLessThan(1e-4);
  });

  it("serves adapters of different ranks from one session", async () => {
    const rank2 = randomAdapter({ modules, rank: 2, seed: 7, std: 0.1 });
    const rank5 = randomAdapter({ modules, rank: 5, seed: 8, std: 0.1 });
    const a = await lora.run({ ...baseFeeds(), ...loraFeeds(onnx.segmentationLoraModules(config), rank2) });
    const b = await lora.run({ ...baseFeeds(), ...loraFeeds(onnx.segmentationLoraModules(config), rank5) });
    expect(maxAbsDifference(a[SEGMENTATION_OUTPUT]!.data, b[SEGMENTATION_OUTPUT]!.data)).toBeGreaterThan(1e-2);
  });

  it("scores classes by cosine similarity: scaling a text embedding leaves the logits unchanged", async () => {
    const feeds = baseFeeds();
    const text = feeds[SEGMENTATION_TEXT]!.data as Float32Array;
    const scaled = { ...feeds, [SEGMENTATION_TEXT]: { type: "float32" as const, data: text.map((v) => v * 3), dims: [3, config.embedDim] } };
    const [a, b] = await Promise.all([base.run(feeds), base.run(scaled)]);
    expect(maxAbsDifference(a[SEGMENTATION_OUTPUT]!.data, b[SEGMENTATION_OUTPUT]!.data)).toBeLessThan(1e-4);
    expect(maxAbs(a[SEGMENTATION_OUTPUT]!.data)).toBeLessThanOrEqual(config.logitScale);
  });
});

import { readFile } from "node:fs/promises";
import path from "node:path";
import { bytesSource, fusion, type LoraAdapter, peft, randomAdapter } from "@semla/core";
import { joinParts, LORA_BANK_INDICES, LORA_BANK_WEIGHTS, onnx, prepareBankSegmenter, prepareSegmenter, prepareTargets, readModelGraph, stackLoraBank } from "@semla/models";
import { catsegExportFile, readCatsegNpy } from "@semla/models/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { createOrtSession, type OrtFeed } from "../runtime/ort.js";
import { loraFeeds } from "../segment/lora-feeds.js";
import { relativeError } from "../testing/arrays.js";

// Bank mode on the CAT-Seg-shaped torch export (packages/models/fixtures/catseg-export): the library
// [fog, night] baked in, each image's plan fed as indices and weights, against the prepared graph fed
// the cat-fused adapter of the same plan (our fusion), and against torch's logits for 0.7·fog + 0.3·night.

const TARGETS = String.raw`.*resblocks\.\d\.(attn\.(q_proj|v_proj|out_proj)|mlp\.c_fc)|.*head\.proj`;

async function adapter(name: string): Promise<LoraAdapter> {
  const dir = catsegExportFile(name);
  return peft.readLoraAdapter({
    config: await readFile(path.join(dir, "adapter_config.json")),
    weights: bytesSource(new Uint8Array(await readFile(path.join(dir, "adapter_model.safetensors")))),
  });
}

interface Plan {
  readonly indices: readonly number[];
  readonly weights: readonly number[];
}

const IMAGE = 3 * 32 * 32;

async function run(model: Uint8Array, images: readonly number[], extra: (image: number) => Record<string, OrtFeed> | null, plans?: readonly Plan[]): Promise<Float32Array> {
  const pixels = await readCatsegNpy("pixels.npy");
  const text = await readCatsegNpy("text-embeds.npy");
  const data = new Float32Array(images.length * IMAGE);
  for (const [i, image] of images.entries()) data.set(pixels.data.subarray(image * IMAGE, (image + 1) * IMAGE), i * IMAGE);
  const feeds: Record<string, OrtFeed> = {
    pixel_values: { type: "float32", data, dims: [images.length, 3, 32, 32] },
    text_embeds: { type: "float32", data: text.data, dims: text.shape },
    ...extra(images[0]!),
  };
  if (plans) {
    const k = plans[0]!.indices.length;
    feeds[LORA_BANK_INDICES] = { type: "int64", data: BigInt64Array.from(plans.flatMap((p) => p.indices.map(BigInt))), dims: [plans.length, k] };
    feeds[LORA_BANK_WEIGHTS] = { type: "float32", data: Float32Array.from(plans.flatMap((p) => p.weights)), dims: [plans.length, k] };
  }
  const session = await createOrtSession(model);
  try {
    const out = await session.run(feeds);
    return out.logits!.data;
  } finally {
    await session.release();
  }
}

describe("bank mode: a library's adapters baked into the segmenter, a plan per image", () => {
  let plain: Uint8Array;
  let gemm: Uint8Array;
  let fog: LoraAdapter;
  let night: LoraAdapter;
  let bankModel: Uint8Array;
  let prepared: Uint8Array;
  let modules: { name: string; inFeatures: number; outFeatures: number }[];
  const cat = (plan: Plan) =>
    fusion.fuseAdapters(
      plan.indices.flatMap((i, j) => (plan.weights[j] === 0 ? [] : [{ adapter: [fog, night][i]!, weight: plan.weights[j]! }])),
      { combination: "cat" },
    );
  beforeAll(async () => {
    plain = new Uint8Array(await readFile(catsegExportFile("segmenter.onnx")));
    gemm = new Uint8Array(await readFile(catsegExportFile("segmenter-gemm.onnx")));
    fog = await adapter("adapter-fog");
    night = await adapter("adapter-night");
    bankModel = joinParts(prepareBankSegmenter(plain, stackLoraBank([fog, night])).model);
    const ready = prepareSegmenter(plain, prepareTargets(TARGETS));
    prepared = joinParts(ready.model);
    modules = ready.modules.map((m) => ({ name: m.name, inFeatures: m.inFeatures, outFeatures: m.outFeatures }));
  });

  it("takes the plan as two inputs and holds each module's bank as initializers", () => {
    const graph = readModelGraph(bankModel);
    expect(graph.inputs).toEqual(["pixel_values", "text_embeds", LORA_BANK_INDICES, LORA_BANK_WEIGHTS]);
    // fog: q_proj and v_proj of both blocks, rank 4; night: block 1's out_proj and c_fc and the head, rank 2: 7 modules (night's slot of q_proj is zeros).
    const q0 = "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.attn.q_proj";
    expect(graph.initializers.get(`${q0}.lora_bank_A`)).toMatchObject({ dims: [2, 4, 32], dataType: 1 });
    expect(graph.initializers.get(`${q0}.lora_bank_BT`)).toMatchObject({ dims: [2, 4, 32], dataType: 1 });
    expect([...graph.initializers.keys()].filter((n) => n.endsWith(".lora_bank_A"))).toHaveLength(7);
    expect(graph.initializers.get("sem_seg_head.predictor.head.proj.lora_bank_BT")).toMatchObject({ dims: [2, 2, 16] });
  });

  it("gives the cat-fused adapter's logits (≤ 1e-5) and torch's 0.7·fog + 0.3·night (≤ 1e-4)", async () => {
    const plan = { indices: [0, 1], weights: [0.7, 0.3] };
    const banked = await run(bankModel, [0, 1], () => null, [plan, plan]);
    const fused = await run(prepared, [0, 1], () => loraFeeds(modules, cat(plan)));
    expect(relativeError(banked, fused)).toBeLessThan(1e-5);
    expect(relativeError(banked, (await readCatsegNpy("logits-cat.npy")).data)).toBeLessThan(1e-4);
    // All-zero weights: the export's own logits.
    const none = { indices: [0, 1], weights: [0, 0] };
    expect(relativeError(await run(bankModel, [0, 1], () => null, [none, none]), (await readCatsegNpy("logits-base.npy")).data)).toBeLessThan(1e-5);
  });

  it("runs a heterogeneous batch: each image with its own plan, as if run alone", async () => {
    const a = { indices: [0, 1], weights: [0.7, 0.3] };
    const b = { indices: [1, 0], weights: [0.5, 0] }; // night alone at 0.5, padded to k = 2
    const batch = await run(bankModel, [0, 1], () => null, [a, b]);
    const half = batch.length / 2;
    const alone0 = await run(bankModel, [0], () => null, [a]);
    const alone1 = await run(bankModel, [1], () => null, [b]);
    expect(relativeError(batch.subarray(0, half), alone0)).toBeLessThan(1e-5);
    expect(relativeError(batch.subarray(half), alone1)).toBeLessThan(1e-5);
    // and each is its plan's fused adapter on that image
    expect(relativeError(alone1, await run(prepared, [1], () => loraFeeds(modules, cat(b))))).toBeLessThan(1e-5);
    expect(relativeError(alone0, await run(prepared, [0], () => loraFeeds(modules, cat(a))))).toBeLessThan(1e-5);
    // The plans differ in effect: image 1 under plan a is not image 1 under plan b.
    expect(relativeError(await run(bankModel, [1], () => null, [a]), alone1)).toBeGreaterThan(1e-3);
  });

  it("is made from a LoRA-ready graph too (its run-time LoRA inputs give way to the bank; a module no adapter has stays the base layer)", async () => {
    const fromReady = joinParts(prepareBankSegmenter(prepared, stackLoraBank([fog, night])).model);
    expect(readModelGraph(fromReady).inputs).toEqual(["pixel_values", "text_embeds", LORA_BANK_INDICES, LORA_BANK_WEIGHTS]);
    const a = { indices: [0, 1], weights: [0.7, 0.3] };
    const b = { indices: [1, 1], weights: [0.25, 0.25] };
    expect(relativeError(await run(fromReady, [0, 1], () => null, [a, b]), await run(bankModel, [0, 1], () => null, [a, b]))).toBeLessThan(1e-6);
    // fog has only q_proj and v_proj: the other five LoRA modules of the graph are left as base layers, and the logits are torch's with fog merged.
    const fogOnly = joinParts(prepareBankSegmenter(prepared, stackLoraBank([fog])).model);
    const one = { indices: [0], weights: [1] };
    expect(relativeError(await run(fogOnly, [0, 1], () => null, [one, one]), (await readCatsegNpy("logits-fog.npy")).data)).toBeLessThan(1e-4);
  });

  it("serves our generated LoRA-ready segmenter (its linears over [N, L, width] tokens) as the cat-fused adapter, per image", async () => {
    const config = onnx.SEGMENTATION_TINY;
    const targets = onnx.segmentationLoraModules(config);
    const generated = onnx.encodeModel(onnx.buildSegmentationModel(config, 5));
    const library = [0, 1, 2].map((seed) => randomAdapter({ modules: targets, rank: 3 + seed, seed: 40 + seed, std: 0.2 }));
    const banked = joinParts(prepareBankSegmenter(generated, stackLoraBank(library)).model);
    const pixels = await readCatsegNpy("pixels.npy");
    const text = new Float32Array(4 * config.embedDim).map((_, i) => Math.sin(i));
    const plans = [
      { indices: [2, 0], weights: [0.6, 0.4] },
      { indices: [1, 1], weights: [1, 0.5] },
    ];
    const common = (n: number, image: number) => ({
      pixel_values: { type: "float32" as const, data: pixels.data.slice(image * IMAGE, (image + n) * IMAGE), dims: [n, 3, 32, 32] },
      text_embeds: { type: "float32" as const, data: text, dims: [4, config.embedDim] },
    });
    const bankSession = await createOrtSession(banked);
    const plainSession = await createOrtSession(generated);
    try {
      const batch = (
        await bankSession.run({
          ...common(2, 0),
          [LORA_BANK_INDICES]: { type: "int64", data: BigInt64Array.from([2n, 0n, 1n, 1n]), dims: [2, 2] },
          [LORA_BANK_WEIGHTS]: { type: "float32", data: Float32Array.from([0.6, 0.4, 1, 0.5]), dims: [2, 2] },
        })
      ).logits!.data;
      const half = batch.length / 2;
      for (const [image, plan] of plans.entries()) {
        const mixture = fusion.fuseAdapters(
          plan.indices.map((i, j) => ({ adapter: library[i]!, weight: plan.weights[j]! })),
          { combination: "cat" },
        );
        const fused = (await plainSession.run({ ...common(1, image), ...loraFeeds(targets, mixture) })).logits!.data;
        const base = (await plainSession.run({ ...common(1, image), ...loraFeeds(targets, null) })).logits!.data;
        expect(relativeError(batch.subarray(image * half, (image + 1) * half), fused)).toBeLessThan(1e-5);
        expect(relativeError(fused, base)).toBeGreaterThan(1e-3);
      }
    } finally {
      await bankSession.release();
      await plainSession.release();
    }
  });

  it("serves a Gemm export (a 2-D input, viewed per image) as torch merged fog", async () => {
    const bank = joinParts(prepareBankSegmenter(gemm, stackLoraBank([fog])).model);
    const plan = { indices: [0], weights: [1] };
    expect(relativeError(await run(bank, [0, 1], () => null, [plan, plan]), (await readCatsegNpy("logits-gemm-fog.npy")).data)).toBeLessThan(1e-4);
  });

  it("refuses a graph already prepared, and a bank whose module the graph has in another shape", () => {
    expect(() => prepareBankSegmenter(bankModel, stackLoraBank([fog]))).toThrow(/already takes LoRA inputs \(lora_bank\.indices, lora_bank\.weights\)/);
    const only = joinParts(prepareSegmenter(plain, prepareTargets(["q_proj"])).model);
    expect(() => prepareBankSegmenter(only, stackLoraBank([fog]))).toThrow(
      /^the bank's module sem_seg_head\.predictor\.clip_model\.visual\.transformer\.resblocks\.0\.attn\.v_proj is no LoRA module of the graph \(nor 1 more\)$/,
    );
    const q0 = fog.modules[0]!;
    const odd: LoraAdapter = { config: fog.config, modules: [{ ...q0, inFeatures: 16, a: new Float32Array(q0.rank * 16) }] };
    expect(() => prepareBankSegmenter(plain, stackLoraBank([odd]))).toThrow(`${q0.name} is [${q0.outFeatures}, 32] ([out, in]) in the graph`);
    expect(() => stackLoraBank([fog, odd])).toThrow(`${q0.name} is [${q0.outFeatures}, 16] ([out, in]) in one adapter and [${q0.outFeatures}, 32] in another`);
    expect(() => stackLoraBank([])).toThrow("a bank needs at least one adapter");
  });
});

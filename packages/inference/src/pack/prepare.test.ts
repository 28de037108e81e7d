import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fusion, type LoraAdapter } from "@semla/core";
import { joinParts, openModelPack, preparePack, prepareSegmenter, prepareTargets, readModelGraph, targetsFromArgument } from "@semla/models";
import { CATSEG_TARGETS, catsegExportFile, readCatsegAdapter, readCatsegNpy, writeTorchExportPack } from "@semla/models/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession, type OrtFeed } from "../runtime/ort.js";
import { loraFeeds } from "../segment/lora-feeds.js";
import { OnnxSegmenter } from "../segment/segmenter.js";
import { relativeError } from "../testing/arrays.js";
import { checkModelPack } from "./check-pack.js";

// A CAT-Seg-shaped export made by torch (packages/models/fixtures/catseg-export, README there), made
// LoRA-ready here, against torch's logits with each PEFT adapter merged into the weights (W + s·B·A)
// and with their 0.7/0.3 cat fusion.

const VISUAL = "sem_seg_head.predictor.clip_model.visual";

/** Runs a model on the fixture's pixels and text embeddings with the LoRA feeds of `mixture` (null: rank 0). */
async function logits(model: Uint8Array, modules: readonly { name: string; inFeatures: number; outFeatures: number }[] | null, mixture: LoraAdapter | null): Promise<Float32Array> {
  const pixels = await readCatsegNpy("pixels.npy");
  const text = await readCatsegNpy("text-embeds.npy");
  const session = await createOrtSession(model);
  try {
    const feeds: Record<string, OrtFeed> = {
      pixel_values: { type: "float32", data: pixels.data, dims: pixels.shape },
      text_embeds: { type: "float32", data: text.data, dims: text.shape },
      ...(modules ? loraFeeds(modules, mixture) : {}),
    };
    const out = await session.run(feeds);
    expect(out.logits?.dims).toEqual([2, 3, 8, 8]);
    return out.logits!.data;
  } finally {
    await session.release();
  }
}

describe("making a plain torch export LoRA-ready", () => {
  let plain: Uint8Array;
  let gemm: Uint8Array;
  let fog: LoraAdapter;
  let night: LoraAdapter;
  beforeAll(async () => {
    plain = new Uint8Array(await readFile(catsegExportFile("segmenter.onnx")));
    gemm = new Uint8Array(await readFile(catsegExportFile("segmenter-gemm.onnx")));
    fog = await readCatsegAdapter("adapter-fog");
    night = await readCatsegAdapter("adapter-night");
  });

  it("finds each targeted nn.Linear (MatMul + bias Add, bias-free MatMul) and names it by its bias or its scope", () => {
    const prepared = prepareSegmenter(plain, prepareTargets(CATSEG_TARGETS));
    const byName = new Map(prepared.modules.map((m) => [m.name, m]));
    // q_proj, v_proj, out_proj and c_fc in two blocks, and the bias-free head; not the
    // MultiheadAttention's out_proj, which the attention never calls (see the refusals).
    expect(prepared.modules).toHaveLength(2 * 4 + 1);
    expect(byName.has("sem_seg_head.predictor.text_attn.out_proj")).toBe(false);
    expect(byName.get(`${VISUAL}.transformer.resblocks.0.attn.q_proj`)).toMatchObject({
      kind: "MatMul",
      node: "/sem_seg_head/predictor/clip_model/visual/transformer/resblocks.0/attn/q_proj/MatMul",
      weight: expect.stringMatching(/^onnx::MatMul_\d+$/),
      inFeatures: 32,
      outFeatures: 32,
      namedBy: "bias",
      bias: true,
    });
    expect(byName.get(`${VISUAL}.transformer.resblocks.1.mlp.c_fc`)).toMatchObject({ inFeatures: 32, outFeatures: 64 });
    expect(byName.get("sem_seg_head.predictor.head.proj")).toMatchObject({ namedBy: "scope", bias: false, inFeatures: 32, outFeatures: 16 });
    const inputs = readModelGraph(joinParts(prepared.model)).inputs;
    expect(inputs.slice(0, 2)).toEqual(["pixel_values", "text_embeds"]);
    expect(inputs.slice(2)).toEqual(prepared.modules.flatMap((m) => [`${m.name}.lora_A.weight`, `${m.name}.lora_B.weight`]));
  });

  it("at rank 0 gives exactly the export's logits; with an adapter, torch's logits with it merged (≤ 1e-4 relative)", async () => {
    const prepared = prepareSegmenter(plain, prepareTargets(CATSEG_TARGETS));
    const model = joinParts(prepared.model);
    const modules = prepared.modules.map((m) => ({ name: m.name, inFeatures: m.inFeatures, outFeatures: m.outFeatures }));
    expect(await logits(model, modules, null)).toEqual(await logits(plain, null, null));
    expect(relativeError(await logits(model, modules, null), (await readCatsegNpy("logits-base.npy")).data)).toBeLessThan(1e-4);
    expect(relativeError(await logits(model, modules, fog), (await readCatsegNpy("logits-fog.npy")).data)).toBeLessThan(1e-4);
    expect(relativeError(await logits(model, modules, night), (await readCatsegNpy("logits-night.npy")).data)).toBeLessThan(1e-4);
    const cat = fusion.fuseAdapters(
      [
        { adapter: fog, weight: 0.7 },
        { adapter: night, weight: 0.3 },
      ],
      { combination: "cat" },
    );
    expect(relativeError(await logits(model, modules, cat), (await readCatsegNpy("logits-cat.npy")).data)).toBeLessThan(1e-4);
    // The adapter's effect is real: its logits are not the base's.
    expect(relativeError(await logits(model, modules, fog), (await readCatsegNpy("logits-base.npy")).data)).toBeGreaterThan(1e-2);
  });

  it("handles a Gemm export (transB = 1, the weight under its module name) the same way", async () => {
    const prepared = prepareSegmenter(gemm, await targetsFromArgument(catsegExportFile("adapter-fog")));
    expect(prepared.modules.map((m) => [m.kind, m.namedBy])).toEqual(new Array(4).fill(["Gemm", "bias"]));
    const model = joinParts(prepared.model);
    expect(
      await logits(
        model,
        prepared.modules.map((m) => ({ name: m.name, inFeatures: m.inFeatures, outFeatures: m.outFeatures })),
        null,
      ),
    ).toEqual(await logits(gemm, null, null));
    const fogged = await logits(model, prepared.modules, fog);
    expect(relativeError(fogged, (await readCatsegNpy("logits-gemm-fog.npy")).data)).toBeLessThan(1e-4);
  });

  it("refuses what it cannot do, naming the module and the reason", () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return [(error as { code: string }).code, (error as Error).message];
      }
      return null;
    };
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["q_projj"])))).toEqual([
      "prepare.no-match",
      expect.stringMatching(/^no linear layer of the graph matches target_modules \["q_projj"\] \(it has 13: sem_seg_head\.predictor\.clip_model\.visual\.transformer\.resblocks\.0\.attn\.q_proj, /),
    ]);
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["q_proj", "qq"])))).toEqual(["prepare.no-match", 'target "qq" matches no linear layer of the graph']);
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["conv1"])))).toEqual([
      "prepare.unadaptable",
      `${VISUAL}.conv1 (Conv, /sem_seg_head/predictor/clip_model/visual/conv1/Conv) cannot take LoRA inputs: a convolution: LoRA inputs here are for nn.Linear layers; target the model's linear layers (attention projections, MLPs) instead`,
    ]);
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["text_attn"])))?.[1]).toMatch(
      /^sem_seg_head\.predictor\.text_attn \(MultiheadAttention, .*\) cannot take LoRA inputs: nn\.MultiheadAttention packs q, k and v in one in_proj_weight/,
    );
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["text_attn.out_proj"])))?.[1]).toMatch(
      /^sem_seg_head\.predictor\.text_attn\.out_proj \(MultiheadAttention, \/sem_seg_head\/predictor\/text_attn\/Gemm\) cannot take LoRA inputs: it belongs to the nn\.MultiheadAttention sem_seg_head\.predictor\.text_attn, which reads its weight directly/,
    );
    const q0 = `${VISUAL}.transformer.resblocks.0.attn.q_proj`;
    const k0 = `${VISUAL}.transformer.resblocks.0.attn.k_proj`;
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["q_proj"], { shapes: new Map([[q0, { inFeatures: 16, outFeatures: 32 }]]) })))).toEqual([
      "prepare.shape-mismatch",
      `${q0} is [32, 32] ([out, in]) in the graph (/sem_seg_head/predictor/clip_model/visual/transformer/resblocks.0/attn/q_proj/MatMul); the adapter has [32, 16]`,
    ]);
    // A mapping that gives q_proj's node k_proj's name: two nodes for one module.
    const clash = new Map([[k0, "/sem_seg_head/predictor/clip_model/visual/transformer/resblocks.0/attn/q_proj/MatMul"]]);
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["k_proj"]), clash))?.[0]).toBe("prepare.ambiguous");
    expect(refusal(() => prepareSegmenter(plain, prepareTargets(["k_proj"]), new Map([[k0, "/no/such/MatMul"]])))).toEqual([
      "prepare.mapping",
      `the mapping names node "/no/such/MatMul" for ${k0}; the graph has no such node`,
    ]);
    const once = joinParts(prepareSegmenter(plain, prepareTargets(["q_proj"])).model);
    expect(refusal(() => prepareSegmenter(once, prepareTargets(["v_proj"])))?.[0]).toBe("prepare.already-prepared");
  });

  describe("as a pack the segmenter serves", () => {
    let root: string;
    beforeAll(async () => {
      root = await mkdtemp(path.join(tmpdir(), "semla-prepare-"));
      await writeTorchExportPack(path.join(root, "base"));
    });
    afterAll(() => rm(root, { recursive: true, force: true }));

    it("writes a pack that passes models check, with the mapping, and segments with an adapter as the merged model does", async () => {
      const written = await preparePack({
        segmenter: catsegExportFile("segmenter.onnx"),
        targets: prepareTargets(CATSEG_TARGETS),
        from: path.join(root, "base"),
        out: path.join(root, "pack"),
        segmenterId: "fixture/catseg-tiny",
        preprocessing: { resize: { height: 32, width: 32 }, resample: "bicubic", crop: null, rescaleFactor: 1 / 255, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
      });
      const pack = await openModelPack(written.dir);
      expect(pack.segmenter).toMatchObject({ id: "fixture/catseg-tiny", imageSize: 32 });
      expect(pack.segmenter?.loraModules).toHaveLength(9);
      const mapping = JSON.parse(await readFile(path.join(written.dir, "lora-mapping.json"), "utf8"));
      expect(mapping.find((m: { module: string }) => m.module.endsWith("resblocks.0.attn.q_proj"))).toMatchObject({
        module: `${VISUAL}.transformer.resblocks.0.attn.q_proj`,
        kind: "MatMul",
        in: 32,
        out: 32,
        bias: true,
        namedBy: "bias",
      });
      expect((await checkModelPack(pack)).filter((c) => !c.ok)).toEqual([]);

      const segmenter = await OnnxSegmenter.fromPack(pack, { workers: 1 });
      try {
        const image = new Uint8Array(await readFile(catsegExportFile("../torch-export/image.png")));
        const zeroShot = await segmenter.segment({ image, classNames: ["road", "sky", "car"], adapter: null });
        const adapted = await segmenter.segment({ image, classNames: ["road", "sky", "car"], adapter: fog });
        expect([adapted.width, adapted.height]).toEqual([61, 47]);
        expect(adapted.scores.map((s) => s.meanProbability)).not.toEqual(zeroShot.scores.map((s) => s.meanProbability));
      } finally {
        await segmenter.close();
      }
      await expect(preparePack({ segmenter: catsegExportFile("segmenter.onnx"), targets: prepareTargets(CATSEG_TARGETS), from: path.join(root, "base"), out: written.dir })).rejects.toThrow(
        `${written.dir} already holds a model pack: choose an empty --out folder`,
      );
    });
  });
});

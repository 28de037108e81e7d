import { denseDelta, type LoraAdapter, randomAdapter } from "@semla/core";
import { describe, expect, it } from "vitest";
import { loraInputNames, SEGMENTATION_FEATURES, SEGMENTATION_OUTPUT, SEGMENTATION_PIXELS, SEGMENTATION_TEXT } from "../tensor-names.js";
import { OnnxError } from "./errors.js";
import { graphInitializer } from "./graph.js";
import { buildSegmentationModel, HEAD_MODULE, SEGMENTATION_TINY, segmentationLoraModules } from "./segmentation.js";
import { normalWeights } from "./weights.js";

const config = SEGMENTATION_TINY;
const P = "sem_seg_head.predictor.clip_model.visual.transformer.resblocks";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof OnnxError ? error.code : `other: ${String(error)}`;
  }
  return undefined;
}

describe("segmentation LoRA targets", () => {
  it("are CAT-Seg's visual CLIP module names, six per block, with their shapes", () => {
    expect(segmentationLoraModules(config)).toEqual(
      [0, 1].flatMap((i) => [
        { name: `${P}.${i}.attn.q_proj`, inFeatures: 32, outFeatures: 32 },
        { name: `${P}.${i}.attn.k_proj`, inFeatures: 32, outFeatures: 32 },
        { name: `${P}.${i}.attn.v_proj`, inFeatures: 32, outFeatures: 32 },
        { name: `${P}.${i}.attn.out_proj`, inFeatures: 32, outFeatures: 32 },
        { name: `${P}.${i}.mlp.c_fc`, inFeatures: 32, outFeatures: 64 },
        { name: `${P}.${i}.mlp.c_proj`, inFeatures: 64, outFeatures: 32 },
      ]),
    );
  });

  it("are graph inputs A [rank, in] and B [out, rank] with one symbolic rank per module", () => {
    const graph = buildSegmentationModel(config, 1);
    expect(graph.inputs.slice(0, 2)).toEqual([
      { name: SEGMENTATION_PIXELS, elemType: "float32", dims: ["batch", 3, 32, 32] },
      { name: SEGMENTATION_TEXT, elemType: "float32", dims: ["classes", 16] },
    ]);
    const fc = loraInputNames(`${P}.1.mlp.c_fc`);
    expect(graph.inputs.filter((i) => i.name.startsWith(`${P}.1.mlp.c_fc.`))).toEqual([
      { name: fc.a, elemType: "float32", dims: [fc.rank, 32] },
      { name: fc.b, elemType: "float32", dims: [64, fc.rank] },
    ]);
    expect(graph.inputs).toHaveLength(2 + 2 * 12);
    expect(new Set(graph.inputs.slice(2).map((i) => i.dims.find((d) => typeof d === "string"))).size).toBe(12);
    expect(graph.outputs).toEqual([{ name: SEGMENTATION_OUTPUT, elemType: "float32", dims: ["batch", "classes", 32, 32] }]);
  });
});

describe("baking an adapter into the weights", () => {
  it("refuses adapters with modules the model does not have, or of another shape", () => {
    const foreign = randomAdapter({ modules: [{ name: "other.q_proj", inFeatures: 32, outFeatures: 32 }], rank: 2, seed: 1 });
    expect(codeOf(() => buildSegmentationModel(config, 1, { bakedAdapter: foreign }))).toBe("onnx.adapter-mismatch");
    const wrong = randomAdapter({ modules: [{ name: `${P}.0.mlp.c_fc`, inFeatures: 32, outFeatures: 32 }], rank: 2, seed: 1 });
    expect(codeOf(() => buildSegmentationModel(config, 1, { bakedAdapter: wrong }))).toBe("onnx.adapter-mismatch");
  });
});

describe("buildSegmentationModel with a baked adapter", () => {
  const modules = segmentationLoraModules(config);
  const adapter: LoraAdapter = randomAdapter({ modules: [modules[4]!], rank: 2, alpha: 3, seed: 9, std: 0.3 });

  it("has W + scaling·B·A as the targeted weight, the same base weights elsewhere, and no LoRA inputs", () => {
    const baked = buildSegmentationModel(config, 5, { bakedAdapter: adapter });
    const base = buildSegmentationModel(config, 5);
    expect(baked.inputs.map((i) => i.name)).toEqual([SEGMENTATION_PIXELS, SEGMENTATION_TEXT]);

    const name = `${modules[4]!.name}.weight`;
    const w = normalWeights(5, name, 64 * 32, (2 * 32) ** -0.5);
    const delta = denseDelta(adapter.modules[0]!);
    expect(graphInitializer(base, name).data).toEqual(w);
    expect(Array.from(graphInitializer(baked, name).data as Float32Array)).toEqual(Array.from(w, (v, i) => Math.fround(v + delta[i]!)));
    const untouched = `${modules[0]!.name}.weight`;
    expect(graphInitializer(baked, untouched).data).toEqual(graphInitializer(base, untouched).data);
  });

  it("can keep LoRA inputs on top of a baked adapter, or drop them without one", () => {
    expect(buildSegmentationModel(config, 5, { bakedAdapter: adapter, loraInputs: true }).inputs).toHaveLength(26);
    expect(buildSegmentationModel(config, 5, { loraInputs: false }).inputs).toHaveLength(2);
  });

  it("refuses a config whose image is not a whole number of patches", () => {
    expect(codeOf(() => buildSegmentationModel({ ...config, imageSize: 30 }, 1))).toBe("onnx.config-invalid");
    expect(codeOf(() => buildSegmentationModel({ ...config, heads: 5 }, 1))).toBe("onnx.config-invalid");
    expect(codeOf(() => buildSegmentationModel({ ...config, layers: 0 }, 1))).toBe("onnx.config-invalid");
    expect(codeOf(() => buildSegmentationModel({ ...config, logitScale: 0 }, 1))).toBe("onnx.config-invalid");
  });
});

describe("a loraHead model", () => {
  const head = { ...config, loraHead: true };

  it("adds the head projection [embedDim, width] as the last LoRA target, with its inputs", () => {
    const modules = segmentationLoraModules(head);
    expect(modules.at(-1)).toEqual({ name: HEAD_MODULE, inFeatures: 32, outFeatures: 16 });
    expect(modules).toHaveLength(13);
    expect(buildSegmentationModel(head, 1).inputs.map((i) => i.name)).toContain(loraInputNames(HEAD_MODULE).a);
  });

  it("takes given weights for named initializers (a fitted head) and refuses ones of the wrong size", () => {
    const weight = Float32Array.from({ length: 16 * 32 }, (_, i) => i / 512);
    const bias = new Float32Array(16).fill(0.5);
    const graph = buildSegmentationModel(head, 1, {
      weights: new Map([
        [`${HEAD_MODULE}.weight`, weight],
        [`${HEAD_MODULE}.bias`, bias],
      ]),
    });
    expect(graphInitializer(graph, `${HEAD_MODULE}.weight`).data).toEqual(weight);
    expect(graphInitializer(graph, `${HEAD_MODULE}.bias`).data).toEqual(bias);
    expect(codeOf(() => buildSegmentationModel(head, 1, { weights: new Map([[`${HEAD_MODULE}.weight`, new Float32Array(3)]]) }))).toBe("onnx.config-invalid");
  });

  it("can also output the head's input per patch", () => {
    expect(buildSegmentationModel(head, 1, { featuresOutput: true }).outputs.map((o) => [o.name, o.dims])).toEqual([
      [SEGMENTATION_FEATURES, ["batch", 16, 32]],
      [SEGMENTATION_OUTPUT, ["batch", "classes", 32, 32]],
    ]);
  });
});

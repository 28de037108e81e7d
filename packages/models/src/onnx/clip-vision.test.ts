import { describe, expect, it } from "vitest";
import { buildClipVision, CLIP_VISION_B16, CLIP_VISION_L14, CLIP_VISION_TINY, type ClipVisionConfig } from "./clip-vision.js";
import { OnnxError } from "./errors.js";
import { type Graph, graphInitializer } from "./graph.js";
import { MODEL_PRESETS, validateModelPreset } from "./presets.js";

/** Parameters of CLIPVisionModelWithProjection for a geometry, counted from its layer shapes. */
function clipParameterCount(c: ClipVisionConfig): number {
  const tokens = (c.imageSize / c.patchSize) ** 2 + 1;
  const embeddings = c.width * 3 * c.patchSize ** 2 + c.width + tokens * c.width;
  const layer = 4 * (c.width * c.width + c.width) + 2 * c.width * c.mlpDim + c.mlpDim + c.width + 4 * c.width;
  return embeddings + 2 * 2 * c.width + c.layers * layer + c.projectionDim * c.width;
}

function graphParameterCount(graph: Graph): number {
  // Float weights only: int64 shape constants and float scalars the builder adds are not parameters.
  return graph.initializers.filter((i) => i.data instanceof Float32Array && i.dims.length > 0 && !/scales|const/.test(i.name)).reduce((n, i) => n + i.data.length, 0);
}

describe("buildClipVision", () => {
  const graph = buildClipVision(CLIP_VISION_TINY, 3);

  it("has transformers' parameter names and PyTorch shapes", () => {
    const shapes = (name: string) => graphInitializer(graph, name).dims;
    expect(shapes("vision_model.embeddings.patch_embedding.weight")).toEqual([32, 3, 8, 8]);
    expect(shapes("vision_model.embeddings.class_embedding")).toEqual([32]);
    expect(shapes("vision_model.embeddings.position_embedding.weight")).toEqual([17, 32]);
    expect(shapes("vision_model.pre_layrnorm.weight")).toEqual([32]);
    expect(shapes("vision_model.encoder.layers.1.self_attn.q_proj.weight")).toEqual([32, 32]);
    expect(shapes("vision_model.encoder.layers.1.self_attn.out_proj.bias")).toEqual([32]);
    expect(shapes("vision_model.encoder.layers.0.mlp.fc1.weight")).toEqual([64, 32]);
    expect(shapes("vision_model.encoder.layers.0.mlp.fc2.weight")).toEqual([32, 64]);
    expect(shapes("vision_model.post_layernorm.bias")).toEqual([32]);
    expect(shapes("visual_projection.weight")).toEqual([16, 32]);
    expect(() => graphInitializer(graph, "visual_projection.bias")).toThrow(OnnxError);
    expect(() => graphInitializer(graph, "vision_model.embeddings.patch_embedding.bias")).toThrow(OnnxError);
  });

  it("initialises LayerNorms to weight 1, bias 0", () => {
    expect(Array.from(graphInitializer(graph, "vision_model.encoder.layers.0.layer_norm2.weight").data as Float32Array)).toEqual(new Array(32).fill(1));
    expect(Array.from(graphInitializer(graph, "vision_model.encoder.layers.0.layer_norm2.bias").data as Float32Array)).toEqual(new Array(32).fill(0));
  });

  it("has exactly the parameters of CLIPVisionModelWithProjection", () => {
    expect(graphParameterCount(graph)).toBe(clipParameterCount(CLIP_VISION_TINY));
  });

  it("is deterministic in the seed", () => {
    const again = buildClipVision(CLIP_VISION_TINY, 3);
    const other = buildClipVision(CLIP_VISION_TINY, 4);
    const name = "vision_model.encoder.layers.1.mlp.fc1.weight";
    expect(graphInitializer(again, name).data).toEqual(graphInitializer(graph, name).data);
    expect(graphInitializer(other, name).data).not.toEqual(graphInitializer(graph, name).data);
  });

  it("sizes the ViT-B/16 and ViT-L/14 presets at ≈345 MB and ≈1.2 GB of float32 weights", () => {
    expect(clipParameterCount(CLIP_VISION_B16)).toBe(86_192_640);
    expect(clipParameterCount(CLIP_VISION_L14)).toBe(303_966_208);
  });

  it("refuses an inconsistent config", () => {
    expect(() => buildClipVision({ ...CLIP_VISION_TINY, patchSize: 5 }, 1)).toThrow(/not a multiple of patchSize/);
    expect(() => buildClipVision({ ...CLIP_VISION_TINY, heads: 3 }, 1)).toThrow(/not divisible by 3 heads/);
    expect(() => buildClipVision({ ...CLIP_VISION_TINY, width: 1.5 }, 1)).toThrow(/width must be a positive integer/);
  });
});

describe("model presets", () => {
  it("are valid and feed the text embeddings to the segmentation model", () => {
    for (const preset of Object.values(MODEL_PRESETS)) expect(() => validateModelPreset(preset)).not.toThrow();
  });

  it("refuse a text encoder whose embeddings the segmentation model cannot take", () => {
    const tiny = MODEL_PRESETS.tiny;
    expect(() => validateModelPreset({ ...tiny, textEncoder: { ...tiny.textEncoder, embedDim: 8 } })).toThrow(/embedDim 8 ≠ segmentation embedDim 16/);
  });
});

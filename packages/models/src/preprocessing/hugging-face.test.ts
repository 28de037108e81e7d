import { describe, expect, it } from "vitest";
import { readTorchExportJson } from "../testing/fixtures.js";
import { parsePreprocessorConfig } from "./hugging-face.js";
import { preprocessedSize } from "./image-preprocessing.js";

const file = "preprocessor_config.json";
const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

describe("a Hugging Face preprocessor_config.json", () => {
  it("reads CLIPImageProcessor's fields, square and non-square crops", async () => {
    expect(parsePreprocessorConfig(await readTorchExportJson("preprocessor_config.json"), { file })).toEqual({
      resize: { shortestEdge: 32 },
      resample: "bicubic",
      crop: { height: 32, width: 32 },
      rescaleFactor: 0.00392156862745098,
      normalize: CLIP,
    });
    const noncrop = parsePreprocessorConfig(await readTorchExportJson("preprocessor_config.noncrop.json"), { file });
    expect(noncrop).toMatchObject({ resize: { shortestEdge: 40 }, crop: { height: 24, width: 36 }, normalize: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } });
    expect(preprocessedSize(noncrop)).toEqual({ height: 24, width: 36 });
  });

  it("takes the older bare-integer sizes, a fixed height × width, and transformers' defaults for what is left out", () => {
    expect(parsePreprocessorConfig({ size: 224, crop_size: 224 }, { file })).toEqual({
      resize: { shortestEdge: 224 },
      resample: "bicubic",
      crop: { height: 224, width: 224 },
      rescaleFactor: 1 / 255,
      normalize: CLIP,
    });
    expect(parsePreprocessorConfig({ size: { height: 384, width: 512 }, do_center_crop: false, resample: 2 }, { file })).toMatchObject({
      resize: { height: 384, width: 512 },
      resample: "bilinear",
      crop: null,
    });
    expect(parsePreprocessorConfig({ do_resize: false, do_rescale: false, do_normalize: false, crop_size: { height: 8, width: 8 }, resample: 0 }, { file })).toEqual({
      resize: null,
      resample: "nearest",
      crop: { height: 8, width: 8 },
      rescaleFactor: null,
      normalize: null,
    });
  });

  it("refuses what it cannot follow, naming the file and the field", () => {
    const refusal = (json: unknown) => {
      try {
        parsePreprocessorConfig(json, { file });
      } catch (error) {
        return (error as Error).message;
      }
      return null;
    };
    expect(refusal({ resample: 1 })).toBe(`${file}: resample 1 (PIL LANCZOS) is not supported; use 0 (NEAREST), 2 (BILINEAR) or 3 (BICUBIC)`);
    expect(refusal({ image_mean: [0.5, 0.5] })).toMatch(new RegExp(`^${file} is not a preprocessor config: .*image_mean`));
    expect(refusal({ image_std: [0.5, 0, 0.5] })).toMatch(/image_std.*every std must be positive/);
    expect(refusal({ size: { height: 32, width: 32 }, crop_size: { height: 48, width: 32 } })).toBe(`${file}: crop_size 48×32 is larger than the resized 32×32 image`);
    expect(refusal({ size: { shortest_edge: 32 }, crop_size: 64 })).toBe(`${file}: crop_size 64×64 is larger than the shortest edge 32 it is cropped from`);
    expect(refusal({ size: { shortest_edge: 0 } })).toMatch(/size/);
    expect(refusal("{}")).toMatch(/is not a preprocessor config/);
  });
});

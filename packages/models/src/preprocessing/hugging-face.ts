import { describeIssues } from "@semla/core";
import { z } from "zod";
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_STD } from "../onnx/config.js";
import { type ImagePreprocessing, ImagePreprocessingSchema } from "./image-preprocessing.js";

/**
 * A Hugging Face `preprocessor_config.json` (CLIPImageProcessor's fields, and the older
 * CLIPFeatureExtractor's bare-integer sizes) → the preprocessing it describes, with transformers'
 * defaults for what it leaves out. `size` is a shortest edge (`{shortest_edge}` or a bare integer:
 * get_size_dict(default_to_square=False)) or a fixed `{height, width}`; `crop_size` is `{height,
 * width}` or a bare integer (a square). PIL's resampling filters NEAREST (0), BILINEAR (2) and
 * BICUBIC (3) are supported; the others are refused rather than silently replaced.
 */

const side = z.number().int().min(1).max(8192);
const triple = z.tuple([z.number(), z.number(), z.number()]);

const PreprocessorConfigSchema = z.looseObject({
  do_resize: z.boolean().default(true),
  size: z
    .union([side, z.object({ shortest_edge: side }), z.object({ height: side, width: side })])
    .optional()
    .default({ shortest_edge: 224 }),
  resample: z.number().int().default(3),
  do_center_crop: z.boolean().default(true),
  crop_size: z.union([side, z.object({ height: side, width: side })]).default({ height: 224, width: 224 }),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: triple.default([...CLIP_IMAGE_MEAN]),
  image_std: triple.refine((s) => s.every((v) => v > 0), "every std must be positive").default([...CLIP_IMAGE_STD]),
  do_convert_rgb: z.boolean().default(true),
});

const RESAMPLE: Readonly<Record<number, ImagePreprocessing["resample"]>> = { 0: "nearest", 2: "bilinear", 3: "bicubic" };
const PIL_FILTERS = ["NEAREST", "LANCZOS", "BILINEAR", "BICUBIC", "BOX", "HAMMING"];

export function parsePreprocessorConfig(json: unknown, options: { readonly file: string }): ImagePreprocessing {
  const { file } = options;
  const parsed = PreprocessorConfigSchema.safeParse(json);
  if (!parsed.success) throw new TypeError(`${file} is not a preprocessor config: ${describeIssues(parsed.error.issues)}`);
  const config = parsed.data;
  const resample = RESAMPLE[config.resample];
  if (!resample) {
    throw new TypeError(`${file}: resample ${config.resample} (PIL ${PIL_FILTERS[config.resample] ?? "unknown"}) is not supported; use 0 (NEAREST), 2 (BILINEAR) or 3 (BICUBIC)`);
  }
  const size = config.size;
  const resize: ImagePreprocessing["resize"] = !config.do_resize
    ? null
    : typeof size === "number"
      ? { shortestEdge: size }
      : "shortest_edge" in size
        ? { shortestEdge: size.shortest_edge }
        : { height: size.height, width: size.width };
  const crop = !config.do_center_crop ? null : typeof config.crop_size === "number" ? { height: config.crop_size, width: config.crop_size } : config.crop_size;
  if (crop && resize && "height" in resize && (crop.height > resize.height || crop.width > resize.width)) {
    throw new TypeError(`${file}: crop_size ${crop.height}×${crop.width} is larger than the resized ${resize.height}×${resize.width} image`);
  }
  if (crop && resize && "shortestEdge" in resize && Math.min(crop.height, crop.width) > resize.shortestEdge) {
    throw new TypeError(`${file}: crop_size ${crop.height}×${crop.width} is larger than the shortest edge ${resize.shortestEdge} it is cropped from`);
  }
  return ImagePreprocessingSchema.parse({
    resize,
    resample,
    crop,
    rescaleFactor: config.do_rescale ? config.rescale_factor : null,
    normalize: config.do_normalize ? { mean: config.image_mean, std: config.image_std } : null,
  });
}

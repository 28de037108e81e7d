import { z } from "zod";

/**
 * Preprocessing stated in a manifest (the normalised form of a Hugging Face preprocessor_config.json):
 * resize (shortest edge, or to a fixed size), center crop, rescale, normalise.
 */
const side = z.number().int().min(1).max(8192);
const triple = z.tuple([z.number(), z.number(), z.number()]);

export const ImagePreprocessingSchema = z
  .object({
    resize: z.union([z.object({ shortestEdge: side }).strict(), z.object({ height: side, width: side }).strict()]).nullable(),
    resample: z.enum(["nearest", "bilinear", "bicubic"]).default("bicubic"),
    crop: z.object({ height: side, width: side }).strict().nullable(),
    rescaleFactor: z
      .number()
      .positive()
      .nullable()
      .default(1 / 255),
    normalize: z
      .object({ mean: triple, std: triple.refine((s) => s.every((v) => v > 0), "std must be positive") })
      .strict()
      .nullable(),
  })
  .strict();

export type ImagePreprocessing = z.output<typeof ImagePreprocessingSchema>;

/** The [height, width] a preprocessing gives: the crop, else a fixed resize; null when it depends on the image. */
export function preprocessedSize(preprocessing: ImagePreprocessing): { height: number; width: number } | null {
  if (preprocessing.crop) return preprocessing.crop;
  if (preprocessing.resize && "height" in preprocessing.resize) return preprocessing.resize;
  return null;
}

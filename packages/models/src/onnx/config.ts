import { OnnxError } from "./errors.js";

/**
 * What preprocessing needs to know about a model's image input: it reads these from the model's
 * config rather than hard-coding CLIP's numbers.
 */
export interface ImageInputConfig {
  /** Square input side in pixels. */
  readonly imageSize: number;
  /** Per-channel (RGB) mean and std applied to [0, 1] pixel values. */
  readonly imageMean: readonly [number, number, number];
  readonly imageStd: readonly [number, number, number];
}

/** OpenAI CLIP's normalisation constants (also CAT-Seg's). */
export const CLIP_IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_IMAGE_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** Throws unless every named field is a positive integer: configs arrive from JSON files too. */
export function requirePositiveIntegers(kind: string, config: object, keys: readonly string[]): void {
  for (const key of keys) {
    const value: unknown = (config as Record<string, unknown>)[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
      throw new OnnxError("onnx.config-invalid", `${kind}: ${key} must be a positive integer, got ${JSON.stringify(value)}`, { kind, key, value });
    }
  }
}

/** Throws unless the image side is a whole number of patches and the width splits into heads. */
export function requireViTGeometry(kind: string, config: { imageSize: number; patchSize: number; width: number; heads: number }): void {
  if (config.imageSize % config.patchSize !== 0) {
    throw new OnnxError("onnx.config-invalid", `${kind}: imageSize ${config.imageSize} is not a multiple of patchSize ${config.patchSize}`, { ...config });
  }
  if (config.width % config.heads !== 0) {
    throw new OnnxError("onnx.config-invalid", `${kind}: width ${config.width} is not divisible by ${config.heads} heads`, { ...config });
  }
}

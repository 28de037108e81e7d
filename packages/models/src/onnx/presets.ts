import { CLIP_VISION_B16, CLIP_VISION_L14, CLIP_VISION_TINY, type ClipVisionConfig, validateClipVisionConfig } from "./clip-vision.js";
import { OnnxError } from "./errors.js";
import { SEGMENTATION_SMALL, SEGMENTATION_TINY, type SegmentationConfig, validateSegmentationConfig } from "./segmentation.js";
import { TEXT_ENCODER_BASE, TEXT_ENCODER_TINY, type TextEncoderConfig, validateTextEncoderConfig } from "./text-encoder.js";

/**
 * The three models a deployment runs together: the CLIP image encoder (routing), the text encoder
 * (class names) and the segmentation model. The text encoder's output must be the segmentation
 * model's text input, so their embedding dimensions agree.
 */
export interface ModelPreset {
  readonly name: string;
  readonly clipVision: ClipVisionConfig;
  readonly textEncoder: TextEncoderConfig;
  readonly segmentation: SegmentationConfig;
  readonly seeds: { readonly clipVision: number; readonly textEncoder: number; readonly segmentation: number };
}

const SEEDS = { clipVision: 1001, textEncoder: 1002, segmentation: 1003 } as const;

export const MODEL_PRESETS = {
  /** Everything in milliseconds: tests. */
  tiny: { name: "tiny", clipVision: CLIP_VISION_TINY, textEncoder: TEXT_ENCODER_TINY, segmentation: SEGMENTATION_TINY, seeds: SEEDS },
  /** ViT-B/16 routing encoder (≈350 MB) with the small segmentation model: the CPU service. */
  b16: { name: "b16", clipVision: CLIP_VISION_B16, textEncoder: TEXT_ENCODER_BASE, segmentation: SEGMENTATION_SMALL, seeds: SEEDS },
  /** ViT-L/14 routing encoder (≈1.2 GB), CAT-Seg-L's backbone geometry, 768-d embeddings. */
  l14: {
    name: "l14",
    clipVision: CLIP_VISION_L14,
    textEncoder: { ...TEXT_ENCODER_BASE, width: 768, embedDim: 768 },
    segmentation: { ...SEGMENTATION_SMALL, embedDim: 768 },
    seeds: SEEDS,
  },
} as const satisfies Record<string, ModelPreset>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;

export function isModelPresetName(name: string): name is ModelPresetName {
  return Object.hasOwn(MODEL_PRESETS, name);
}

/** Throws unless the configs are valid and the text encoder feeds the segmentation model. */
export function validateModelPreset(preset: ModelPreset): void {
  validateClipVisionConfig(preset.clipVision);
  validateTextEncoderConfig(preset.textEncoder);
  validateSegmentationConfig(preset.segmentation);
  if (preset.textEncoder.embedDim !== preset.segmentation.embedDim) {
    throw new OnnxError("onnx.config-invalid", `preset ${preset.name}: text encoder embedDim ${preset.textEncoder.embedDim} ≠ segmentation embedDim ${preset.segmentation.embedDim}`, {
      preset: preset.name,
    });
  }
}

/**
 * Version of the graphs the builders emit for a given config and seed. Generated model files record
 * it, so bumping it (whenever a builder's graph or weight init changes) makes caches regenerate.
 */
export const MODEL_GENERATOR_VERSION = "semla-onnx/1";

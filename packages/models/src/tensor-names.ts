/**
 * The names of the models' graph inputs and outputs: the contract between the graphs the builders
 * emit (or a real export made LoRA-ready) and the code that feeds and reads them. Defined here once;
 * the builders, the sessions in inference and the world's fit all import them.
 *
 * They are the names of a standard Hugging Face / optimum export, so a real model fits as it is: the
 * CLIP image encoder takes `pixel_values` and gives `image_embeds`; the text encoder takes `input_ids`
 * and `attention_mask` and gives `text_embeds`; the segmentation model takes the same `pixel_values`
 * and the text encoder's `text_embeds` (under that name: one's output is the other's input) and gives
 * `logits`.
 */

/** CLIP image encoder: float32 [batch, 3, S, S], CLIP-normalised pixels. */
export const CLIP_VISION_INPUT = "pixel_values";
/** CLIP image encoder: float32 [batch, D], the embedding SemLA routes on. */
export const CLIP_VISION_OUTPUT = "image_embeds";

/** Text encoder: int64 [classes, tokens], from the tokenizer. */
export const TEXT_ENCODER_INPUT_IDS = "input_ids";
/** Text encoder: float32 [classes, tokens], 1 for a token, 0 for padding. */
export const TEXT_ENCODER_ATTENTION_MASK = "attention_mask";
/** Text encoder: float32 [classes, D], one L2-normalised embedding per class name. */
export const TEXT_ENCODER_OUTPUT = "text_embeds";

/** Segmentation model: float32 [batch, 3, S, S], the image under the same name as the image encoder's. */
export const SEGMENTATION_PIXELS = CLIP_VISION_INPUT;
/** Segmentation model: float32 [classes, D], the text encoder's output fed under its own name. */
export const SEGMENTATION_TEXT = TEXT_ENCODER_OUTPUT;
/** Segmentation model: float32 [batch, classes, S, S]. */
export const SEGMENTATION_OUTPUT = "logits";
/** Segmentation model built with `featuresOutput`: the head's input per patch, [batch, patches, width] (what a head fit regresses on). */
export const SEGMENTATION_FEATURES = "patch_features";

/**
 * A LoRA-targeted module's graph inputs, `<module>.lora_A.weight` [rank, in] and
 * `<module>.lora_B.weight` [out, rank] (PEFT's tensor names less its `base_model.model.` prefix), and
 * the name of their symbolic rank dimension, so one session serves adapters of any rank.
 */
export function loraInputNames(module: string): { a: string; b: string; rank: string } {
  return { a: `${module}.lora_A.weight`, b: `${module}.lora_B.weight`, rank: `${module}.rank` };
}

/**
 * A bank-mode segmenter's per-image plan: int64 [batch, k], the indices of each image's adapters in
 * the library's bank (the order the bank was stacked in), and float32 [batch, k], their weights
 * (a plan of fewer than k adapters pads with weight 0).
 */
export const LORA_BANK_INDICES = "lora_bank.indices";
export const LORA_BANK_WEIGHTS = "lora_bank.weights";

/**
 * A bank-mode module's initializers: `<module>.lora_bank_A` [n, r, in], every adapter's A stacked,
 * and `<module>.lora_bank_BT` [n, r, out], every adapter's scaling·Bᵀ (r the largest rank, smaller
 * ones zero-padded).
 */
export function loraBankNames(module: string): { a: string; bT: string } {
  return { a: `${module}.lora_bank_A`, bT: `${module}.lora_bank_BT` };
}

import { LIMITS } from "@semla/core";
import { z } from "zod";
import { ImagePreprocessingSchema } from "../preprocessing/image-preprocessing.js";
import {
  CLIP_VISION_INPUT,
  CLIP_VISION_OUTPUT,
  SEGMENTATION_OUTPUT,
  SEGMENTATION_PIXELS,
  SEGMENTATION_TEXT,
  TEXT_ENCODER_ATTENTION_MASK,
  TEXT_ENCODER_INPUT_IDS,
  TEXT_ENCODER_OUTPUT,
} from "../tensor-names.js";

/**
 * A model pack's manifest, `semla-models.json`: the one format every deployment reads (the embedded
 * default, the API's models prefix in the bucket, the endpoint's /opt/ml/model) and the generated demo
 * models are written in. It names each model file with its size and sha256, the graphs' input and
 * output names (defaults: a standard Hugging Face / optimum export), the preprocessing, the tokenizer
 * and the segmenter's LoRA-targetable modules. `schemas/semla-models.schema.json` is generated from
 * this schema (`npm run schemas`) and checked against it by a test.
 */

export const MODEL_PACK_MANIFEST = "semla-models.json";
export const MODEL_PACK_FORMAT = "semla-models";
export const MODEL_PACK_VERSION = 1;

/** A file of the pack: a plain name in the pack's folder (no folders: nothing climbs out), its size and sha256. */
export const PackFileSchema = z
  .object({
    path: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, "a plain file name in the pack's folder (letters, digits, . _ -; no folders)"),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits"),
  })
  .strict();
export type PackFile = z.output<typeof PackFileSchema>;

const tensorName = (fallback: string) => z.string().min(1).max(LIMITS.modelId).default(fallback);
const modelId = z.string().min(1).max(LIMITS.modelId);

/** An ONNX model file and, when its weights are kept outside it (over 2 GiB), the external data file beside it. */
const OnnxFileShape = {
  file: PackFileSchema,
  externalData: z.array(PackFileSchema).max(16).default([]).describe("Files holding the model's external data, found beside it by name"),
};

/** Where the image's pixels come from: a Hugging Face `preprocessor_config.json` in the pack, or stated here. */
export const PreprocessingSourceSchema = z.union([
  z.object({ huggingFace: PackFileSchema.describe("A Hugging Face preprocessor_config.json (CLIPImageProcessor's fields)") }).strict(),
  ImagePreprocessingSchema,
]);

export const ImageEncoderSchema = z
  .object({
    id: modelId.describe("What libraries indexed with this encoder name as their embeddingModelId"),
    ...OnnxFileShape,
    inputs: z
      .object({ pixels: tensorName(CLIP_VISION_INPUT) })
      .strict()
      .default({ pixels: CLIP_VISION_INPUT }),
    outputs: z
      .object({ embeddings: tensorName(CLIP_VISION_OUTPUT) })
      .strict()
      .default({ embeddings: CLIP_VISION_OUTPUT }),
    dimension: z.number().int().min(1).max(LIMITS.dimension),
    preprocessing: PreprocessingSourceSchema,
    normalize: z.boolean().default(true).describe("L2-normalise the output (CLIP's image_embeds are not normalised in the graph)"),
  })
  .strict();

export const TokenizerSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("huggingface"),
      file: PackFileSchema.describe("A Hugging Face tokenizers file (tokenizer.json) with a BPE model and an end-of-text token"),
      contextLength: z.number().int().min(3).max(4096).default(77),
    })
    .strict(),
  z
    .object({
      kind: z.literal("semla-hashed"),
      vocabularySize: z
        .number()
        .int()
        .min(2)
        .max(2 ** 24),
      contextLength: z.number().int().min(1).max(4096),
    })
    .strict()
    .describe("The generated demo text encoder's hashed stand-in (no vocabulary file)"),
]);

export const TextEncoderSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("onnx"),
      ...OnnxFileShape,
      inputs: z
        .object({
          ids: tensorName(TEXT_ENCODER_INPUT_IDS),
          attentionMask: z
            .object({ name: tensorName(TEXT_ENCODER_ATTENTION_MASK), type: z.enum(["int64", "float32"]).default("int64") })
            .strict()
            .nullable()
            .default({ name: TEXT_ENCODER_ATTENTION_MASK, type: "int64" }),
        })
        .strict()
        .default({ ids: TEXT_ENCODER_INPUT_IDS, attentionMask: { name: TEXT_ENCODER_ATTENTION_MASK, type: "int64" } }),
      outputs: z
        .object({ embeddings: tensorName(TEXT_ENCODER_OUTPUT) })
        .strict()
        .default({ embeddings: TEXT_ENCODER_OUTPUT }),
      dimension: z.number().int().min(1).max(LIMITS.dimension),
      tokenizer: TokenizerSchema,
      templates: z
        .array(
          z
            .string()
            .min(2)
            .max(LIMITS.className)
            .refine((t) => t.split("{}").length === 2, "a template holds {} exactly once"),
        )
        .min(1)
        .max(128)
        .default(["{}"])
        .describe("Prompt templates; a class's embedding is the renormalised mean over them"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("table"),
      embeddings: PackFileSchema.describe("A .npy of float32 [classes, dimension], one row per name"),
      names: PackFileSchema.describe("A JSON array of the class names, in the table's row order"),
      dimension: z.number().int().min(1).max(LIMITS.dimension),
    })
    .strict()
    .describe("A closed vocabulary: precomputed class embeddings"),
]);

export const LoraModuleSchema = z
  .object({
    name: z.string().min(1).max(LIMITS.moduleName),
    in: z
      .number()
      .int()
      .min(1)
      .max(1 << 20),
    out: z
      .number()
      .int()
      .min(1)
      .max(1 << 20),
  })
  .strict();

export const SegmenterSchema = z
  .object({
    id: modelId.describe("What libraries of adapters for this segmenter name as their baseModelId"),
    ...OnnxFileShape,
    inputs: z
      .object({ pixels: tensorName(SEGMENTATION_PIXELS), text: tensorName(SEGMENTATION_TEXT) })
      .strict()
      .default({ pixels: SEGMENTATION_PIXELS, text: SEGMENTATION_TEXT }),
    outputs: z
      .object({ logits: tensorName(SEGMENTATION_OUTPUT) })
      .strict()
      .default({ logits: SEGMENTATION_OUTPUT }),
    preprocessing: PreprocessingSourceSchema.describe("The input size and normalisation (a resize to a fixed size, no crop: the mask covers the whole image)"),
    loraModules: z
      .array(LoraModuleSchema)
      .max(LIMITS.loraModules)
      .default([])
      .describe("Modules whose LoRA factors the graph takes as <module>.lora_A.weight [r, in] and <module>.lora_B.weight [out, r]"),
    loraMapping: PackFileSchema.optional().describe("semla models prepare's record of where each LoRA module is in the export (module → node, weight, shapes)"),
  })
  .strict();

/** What generated the pack (the demo and benchmark models): reused only when it names the same generator, configs and seeds. */
export const GeneratorSchema = z.looseObject({
  version: z.string().min(1),
  preset: z.string().min(1),
  variant: z.string().optional(),
  seeds: z.record(z.string(), z.number().int()),
  configs: z.record(z.string(), z.looseObject({})),
});

export const ModelPackManifestSchema = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(MODEL_PACK_FORMAT),
    version: z.literal(MODEL_PACK_VERSION),
    name: z.string().min(1).max(LIMITS.modelId).optional(),
    imageEncoder: ImageEncoderSchema,
    textEncoder: TextEncoderSchema.optional(),
    segmenter: SegmenterSchema.optional(),
    generator: GeneratorSchema.optional(),
  })
  .strict()
  .superRefine((manifest, ctx) => {
    if (manifest.segmenter && !manifest.textEncoder) {
      ctx.addIssue({ code: "custom", path: ["textEncoder"], message: "a pack with a segmenter needs a text encoder (class names → the segmenter's text input)" });
    }
    if (manifest.segmenter && manifest.textEncoder) {
      const seen = new Set<string>();
      manifest.segmenter.loraModules.forEach((m, i) => {
        if (seen.has(m.name)) ctx.addIssue({ code: "custom", path: ["segmenter", "loraModules", i, "name"], message: `module ${m.name} is listed twice` });
        seen.add(m.name);
      });
    }
  });

export type ModelPackManifest = z.output<typeof ModelPackManifestSchema>;
/** A manifest as written (defaults may be left out). */
export type ModelPackManifestInput = z.input<typeof ModelPackManifestSchema>;
export type ImageEncoderManifest = z.output<typeof ImageEncoderSchema>;
export type TextEncoderManifest = z.output<typeof TextEncoderSchema>;
export type SegmenterManifest = z.output<typeof SegmenterSchema>;
export type TokenizerManifest = z.output<typeof TokenizerSchema>;
export type LoraModuleManifest = z.output<typeof LoraModuleSchema>;

import type { linalg } from "@semla/core";
import { createOrtSession, type OrtSession, preprocessSquare } from "@semla/inference";
import { onnx, SEGMENTATION_FEATURES, SEGMENTATION_PIXELS, SEGMENTATION_TEXT, TEXT_ENCODER_ATTENTION_MASK, TEXT_ENCODER_INPUT_IDS, TEXT_ENCODER_OUTPUT } from "@semla/models";

/**
 * The segmentation head's inputs per patch, computed by the model itself: a copy of the graph that
 * also outputs them (they do not depend on the head, so the random head of this copy is irrelevant),
 * fed exactly as the segmenter feeds a served image (whole-image square resize, CLIP normalisation).
 */
export class PatchFeatureExtractor {
  private constructor(
    private readonly session: OrtSession,
    private readonly config: onnx.SegmentationConfig,
  ) {}

  static async create(config: onnx.SegmentationConfig, seed: number): Promise<PatchFeatureExtractor> {
    const graph = onnx.buildSegmentationModel(config, seed, { featuresOutput: true, loraInputs: false });
    return new PatchFeatureExtractor(await createOrtSession(onnx.encodeModel(graph), { intraOpThreads: 2 }), config);
  }

  get patches(): number {
    return (this.config.imageSize / this.config.patchSize) ** 2;
  }

  /** Features of each image's patches, stacked: [images·patches, width], image-major then row-major patches. */
  async features(images: readonly Uint8Array[]): Promise<linalg.Matrix<Float32Array>> {
    const { imageSize: size, width, embedDim } = this.config;
    const out = new Float32Array(images.length * this.patches * width);
    const batch = 16;
    for (let start = 0; start < images.length; start += batch) {
      const chunk = images.slice(start, start + batch);
      const pixels = await Promise.all(chunk.map((image) => preprocessSquare(image, { size, mean: this.config.imageMean, std: this.config.imageStd })));
      const data = new Float32Array(chunk.length * 3 * size * size);
      pixels.forEach((p, i) => {
        data.set(p.data, i * 3 * size * size);
      });
      const result = await this.session.run({
        [SEGMENTATION_PIXELS]: { type: "float32", data, dims: [chunk.length, 3, size, size] },
        // The text input only feeds the logits, which are not read here.
        [SEGMENTATION_TEXT]: { type: "float32", data: new Float32Array(embedDim).fill(1), dims: [1, embedDim] },
      });
      out.set((result[SEGMENTATION_FEATURES] as { data: Float32Array }).data, start * this.patches * width);
    }
    return { rows: images.length * this.patches, cols: width, data: out };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Class text embeddings [classes, dimension] from the text encoder graph of the preset (as the segmenter computes them). */
export async function classTextEmbeddings(config: onnx.TextEncoderConfig, seed: number, names: readonly string[]): Promise<Float32Array> {
  const session = await createOrtSession(onnx.encodeModel(onnx.buildTextEncoder(config, seed)));
  try {
    const tokens = onnx.tokenizeClassNames(names, { length: config.contextLength, vocabularySize: config.vocabularySize });
    const result = await session.run({
      [TEXT_ENCODER_INPUT_IDS]: { type: "int64", data: tokens.inputIds, dims: tokens.dims },
      [TEXT_ENCODER_ATTENTION_MASK]: { type: "float32", data: tokens.attentionMask, dims: tokens.dims },
    });
    return (result[TEXT_ENCODER_OUTPUT] as { data: Float32Array }).data;
  } finally {
    await session.release();
  }
}

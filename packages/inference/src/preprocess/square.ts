import { CLIP_MEAN, CLIP_STD, rgbToNormalisedChw } from "./clip.js";
import { type DecodeOptions, imagePipeline, type OpenedImage, openImage, readRawRgb } from "./decode.js";

/**
 * Preprocessing for dense prediction: the WHOLE image resized to size × size (aspect ratio not
 * kept, nothing cropped), so that every output pixel maps back onto the original image; then the
 * same rescale and normalisation as CLIP. Bicubic (Catmull-Rom), as for CLIP.
 */

export interface SquarePreprocessOptions extends DecodeOptions {
  readonly size: number;
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
}

export interface SquarePixels {
  /** CHW float32 [3, size, size]. */
  readonly data: Float32Array;
  readonly size: number;
  /** The image's displayed size (after EXIF orientation). */
  readonly width: number;
  readonly height: number;
}

export async function preprocessSquare(source: Uint8Array | OpenedImage, options: SquarePreprocessOptions): Promise<SquarePixels> {
  const { size } = options;
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`size must be a positive integer, got ${size}`);
  const image = source instanceof Uint8Array ? await openImage(source, options) : source;
  const pipeline = imagePipeline(image).resize({ width: size, height: size, fit: "fill", kernel: "cubic", fastShrinkOnLoad: false });
  const rgb = await readRawRgb(image, pipeline);
  const data = rgbToNormalisedChw(rgb.data, size * size, options.mean ?? CLIP_MEAN, options.std ?? CLIP_STD);
  return { data, size, width: image.width, height: image.height };
}

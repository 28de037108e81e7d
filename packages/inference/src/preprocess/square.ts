import { CLIP_MEAN, CLIP_STD, preprocessImage } from "./clip.js";
import { type DecodeOptions, type OpenedImage, openImage } from "./decode.js";

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
  const mean = [...(options.mean ?? CLIP_MEAN)] as [number, number, number];
  const std = [...(options.std ?? CLIP_STD)] as [number, number, number];
  const { data } = await preprocessImage(image, { resize: { height: size, width: size }, resample: "bicubic", crop: null, rescaleFactor: 1 / 255, normalize: { mean, std } });
  return { data, size, width: image.width, height: image.height };
}

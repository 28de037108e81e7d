import { LIMITS } from "@semla/core";
import { imageSize } from "image-size";
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { ImageError } from "./errors.js";
import { ACCEPTED_IMAGE_FORMATS, type AcceptedImageFormat, sniffImageFormat } from "./sniff.js";

/**
 * Decoding untrusted images with sharp (libvips). Only JPEG, PNG and WebP are accepted, refused
 * by signature otherwise; the pixel count, each side and the aspect ratio are checked from the
 * container's header before libvips sees the file (image-size reads it from the first bytes, even
 * when no pixel data follows: decompression bombs, a 39000000×1 PNG that no resize could take),
 * again from libvips' own header, and the pixel count once more by libvips through `limitInputPixels`.
 *
 * Every image comes out the way HF's CLIPImageProcessor sees it after `convert_rgb`:
 * - EXIF orientation applied (`.rotate()`), so width/height are the displayed ones;
 * - alpha composited onto white (transformers' `convert_to_rgb` does exactly this), grey → RGB;
 * - 8 bits per channel, 3 channels, interleaved (HWC);
 * - the embedded ICC profile ignored, as PIL ignores it: stored values are used as they are,
 *   so embeddings match those computed with the reference Python pipeline.
 */

export interface DecodeOptions {
  /** Refuse images with more pixels than this (width × height). Default LIMITS.imagePixels. */
  readonly maxPixels?: number;
}

export interface ImageInfo {
  readonly format: AcceptedImageFormat;
  /** Displayed size: after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation tag (1 when absent). */
  readonly orientation: number;
}

/** A validated image whose pixels have not been decoded yet. */
export interface OpenedImage extends ImageInfo {
  readonly bytes: Uint8Array;
  readonly maxPixels: number;
}

export interface RawRgbImage {
  /** RGB, 8 bits, interleaved, row-major: data[(y·width + x)·3 + c]. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface DecodedImage extends RawRgbImage {
  readonly format: AcceptedImageFormat;
}

const ACCEPTED_TEXT = "JPEG, PNG or WebP";

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} megapixels`;
}

function resolveMaxPixels(options: DecodeOptions): number {
  const maxPixels = options.maxPixels ?? LIMITS.imagePixels;
  if (!Number.isSafeInteger(maxPixels) || maxPixels <= 0) {
    throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
  }
  return maxPixels;
}

function tooLarge(width: number, height: number, maxPixels: number): ImageError {
  const pixels = width * height;
  return new ImageError("too-large", `Image is ${width}×${height} (${megapixels(pixels)}), over the limit of ${megapixels(maxPixels)}`, { width, height, pixels, maxPixels });
}

/** The first bound a width × height image breaks (pixel count, each side, aspect ratio), as an ImageError. */
function sizeProblem(width: number, height: number, maxPixels: number): ImageError | undefined {
  if (width * height > maxPixels) return tooLarge(width, height, maxPixels);
  for (const [side, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (value > LIMITS.imageSide) {
      return new ImageError("too-large", `Image is ${width}×${height}: its ${side} ${value} is over the limit of ${LIMITS.imageSide} pixels`, {
        width,
        height,
        side,
        limit: LIMITS.imageSide,
      });
    }
  }
  const aspectRatio = Math.max(width, height) / Math.min(width, height);
  if (aspectRatio > LIMITS.imageAspectRatio) {
    return new ImageError("too-large", `Image is ${width}×${height}: its aspect ratio ${aspectRatio.toFixed(1)}:1 is over the limit of ${LIMITS.imageAspectRatio}:1`, {
      width,
      height,
      aspectRatio,
      limit: LIMITS.imageAspectRatio,
    });
  }
  return undefined;
}

/** width × height as the container's header states it, read without libvips; undefined when unreadable (libvips then says why). */
function headerSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  try {
    const { width, height } = imageSize(bytes);
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the signature and the header (size, orientation) without decoding pixels.
 * Throws ImageError: `image.unsupported-format`, `image.undecodable` or `image.too-large`.
 */
export async function openImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<OpenedImage> {
  const maxPixels = resolveMaxPixels(options);
  const sniffed = sniffImageFormat(bytes);
  if (sniffed === null) {
    throw new ImageError("undecodable", `Not an image this service can read: expected ${ACCEPTED_TEXT}`, {
      accepted: ACCEPTED_IMAGE_FORMATS,
      byteLength: bytes.length,
    });
  }
  if (!(ACCEPTED_IMAGE_FORMATS as readonly string[]).includes(sniffed)) {
    throw new ImageError("unsupported-format", `${sniffed.toUpperCase()} images are not accepted: send ${ACCEPTED_TEXT}`, {
      format: sniffed,
      accepted: ACCEPTED_IMAGE_FORMATS,
    });
  }
  const format = sniffed as AcceptedImageFormat;
  const header = headerSize(bytes);
  const refused = header && sizeProblem(header.width, header.height, maxPixels);
  if (refused) throw refused;
  let metadata: Metadata;
  try {
    // Header only; the limit is applied here by hand so that the error can name the size.
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: "error" }).metadata();
  } catch (error) {
    throw undecodable(format, error);
  }
  const { width, height } = metadata;
  if (metadata.format !== format || width === undefined || height === undefined || width <= 0 || height <= 0) {
    throw new ImageError("undecodable", `The ${format.toUpperCase()} header could not be read`, { format });
  }
  const problem = sizeProblem(width, height, maxPixels);
  if (problem) throw problem;
  const orientation = metadata.orientation ?? 1;
  // Orientations 5–8 transpose the image.
  const swap = orientation >= 5 && orientation <= 8;
  return { bytes, format, maxPixels, orientation, width: swap ? height : width, height: swap ? width : height };
}

function undecodable(format: AcceptedImageFormat, error: unknown): ImageError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ImageError("undecodable", `The ${format.toUpperCase()} image could not be decoded: ${reason}`, { format, reason });
}

/**
 * A fresh sharp pipeline over an opened image: oriented, flattened onto white, sRGB; append
 * operations (resize, extract) and read it with `readRawRgb`.
 */
export function imagePipeline(image: OpenedImage): Sharp {
  return sharp(image.bytes, { limitInputPixels: image.maxPixels, failOn: "error", ignoreIcc: true }).rotate().flatten({ background: "#ffffff" }).toColourspace("srgb");
}

/** Runs `pipeline` (built on `imagePipeline(image)`) to 8-bit RGB, mapping libvips failures to ImageError. */
export async function readRawRgb(image: OpenedImage, pipeline: Sharp): Promise<RawRgbImage> {
  let result: { data: Buffer; info: OutputInfo };
  try {
    result = await pipeline.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) throw tooLarge(image.width, image.height, image.maxPixels);
    throw undecodable(image.format, error);
  }
  const { data, info } = result;
  if (info.channels !== 3) throw undecodable(image.format, new Error(`expected 3 channels after conversion, got ${info.channels}`));
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Decodes a JPEG, PNG or WebP to oriented 8-bit RGB. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const image = await openImage(bytes, options);
  const raw = await readRawRgb(image, imagePipeline(image));
  return { ...raw, format: image.format };
}

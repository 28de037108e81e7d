import { type ImagePreprocessing, onnx } from "@semla/models";
import sharp, { type Sharp } from "sharp";
import { type DecodeOptions, imagePipeline, type OpenedImage, openImage, type RawRgbImage, readRawRgb } from "./decode.js";
import { pilResize } from "./pil-resample.js";

/**
 * CLIP image preprocessing, step for step as HF `CLIPImageProcessor` does it:
 * convert_rgb → resize the shortest side to `size` (bicubic) → center crop `cropSize`² →
 * rescale 1/255 → normalise (x − mean) / std → CHW float32.
 *
 * Resizing is sharp's `cubic` kernel, Catmull-Rom like PIL's BICUBIC, scaled for downsampling
 * like PIL's; libvips may shrink by a box filter first for large factors, so values can differ
 * from PIL's by a grey level or two at edges (never on flat regions). Rescale and normalise
 * are computed exactly as numpy does them in float32 (one table per channel).
 */

/** CLIP's normalisation, defined once with the model builders. */
export const CLIP_MEAN: readonly [number, number, number] = onnx.CLIP_IMAGE_MEAN;
export const CLIP_STD: readonly [number, number, number] = onnx.CLIP_IMAGE_STD;
export const CLIP_IMAGE_SIZE = 224;

export interface ClipPreprocessOptions extends DecodeOptions {
  /** Shortest side after resizing (`size.shortest_edge`). Default 224. */
  readonly size?: number;
  /** Side of the center crop (`crop_size`), at most `size`. Default `size`. */
  readonly cropSize?: number;
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
}

export interface ClipGeometry {
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  readonly left: number;
  readonly top: number;
  readonly cropSize: number;
}

/** Where the resize and the crop put an image: the resized size, the crop's offset, the output size. */
export interface PreprocessGeometry {
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

const positiveInteger = (name: string, value: number) => {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
};

/**
 * transformers' resize (get_resize_output_image_size: the shortest edge to `shortestEdge`, the long
 * one int(shortestEdge × long / short), or a fixed height × width) and center_crop offsets
 * ((size − crop) // 2), for an image of width × height.
 */
export function preprocessGeometry(width: number, height: number, preprocessing: Pick<ImagePreprocessing, "resize" | "crop">): PreprocessGeometry {
  const { resize, crop } = preprocessing;
  let resizeWidth = width;
  let resizeHeight = height;
  if (resize && "shortestEdge" in resize) {
    positiveInteger("the shortest edge", resize.shortestEdge);
    const shortIsWidth = width <= height;
    const short = shortIsWidth ? width : height;
    const long = shortIsWidth ? height : width;
    // Python: int(size * long / short), a float division truncated.
    const newLong = Math.trunc((resize.shortestEdge * long) / short);
    resizeWidth = shortIsWidth ? resize.shortestEdge : newLong;
    resizeHeight = shortIsWidth ? newLong : resize.shortestEdge;
  } else if (resize) {
    positiveInteger("the resize height", resize.height);
    positiveInteger("the resize width", resize.width);
    resizeWidth = resize.width;
    resizeHeight = resize.height;
  }
  if (!crop) return { resizeWidth, resizeHeight, left: 0, top: 0, width: resizeWidth, height: resizeHeight };
  positiveInteger("the crop height", crop.height);
  positiveInteger("the crop width", crop.width);
  if (crop.width > resizeWidth || crop.height > resizeHeight) {
    throw new RangeError(`a ${crop.height}×${crop.width} crop does not fit the ${resizeHeight}×${resizeWidth} resized image`);
  }
  return { resizeWidth, resizeHeight, left: Math.floor((resizeWidth - crop.width) / 2), top: Math.floor((resizeHeight - crop.height) / 2), width: crop.width, height: crop.height };
}

/** transformers' get_resize_output_image_size (default_to_square=False) and center_crop offsets, for a square crop. */
export function clipGeometry(width: number, height: number, size: number, cropSize = size): ClipGeometry {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`size must be a positive integer, got ${size}`);
  if (!Number.isSafeInteger(cropSize) || cropSize <= 0 || cropSize > size) {
    throw new RangeError(`cropSize must be an integer in [1, ${size}], got ${cropSize}`);
  }
  const g = preprocessGeometry(width, height, { resize: { shortestEdge: size }, crop: { height: cropSize, width: cropSize } });
  return { resizeWidth: g.resizeWidth, resizeHeight: g.resizeHeight, left: g.left, top: g.top, cropSize };
}

/**
 * Per-channel table v ↦ float32((float32(v · 1/255) − mean) / std), with mean and std cast to
 * float32 first, as numpy evaluates it on a float32 image (f64 then one rounding to f32 is the
 * correctly rounded f32 result for these operations).
 */
function normalisationTables(mean: readonly number[], std: readonly number[], rescale: number | null = 1 / 255): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const m = Math.fround(mean[c] as number);
    const s = Math.fround(std[c] as number);
    if (!(s > 0)) throw new RangeError(`std must be positive, got ${std[c]}`);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(Math.fround(rescale === null ? v : v * rescale) - m) / s);
    return table;
  });
}

/** Interleaved RGB bytes → normalised planar CHW, written into `out` at `offset`. */
export function rgbToNormalisedChw(
  rgb: Uint8Array,
  pixels: number,
  mean: readonly number[] = CLIP_MEAN,
  std: readonly number[] = CLIP_STD,
  out: Float32Array = new Float32Array(3 * pixels),
  offset = 0,
  rescale: number | null = 1 / 255,
): Float32Array {
  if (rgb.length !== 3 * pixels) throw new RangeError(`expected ${3 * pixels} RGB bytes, got ${rgb.length}`);
  const tables = normalisationTables(mean, std, rescale);
  for (let c = 0; c < 3; c++) {
    const table = tables[c] as Float32Array;
    const plane = offset + c * pixels;
    for (let p = 0; p < pixels; p++) out[plane + p] = table[rgb[3 * p + c] as number] as number;
  }
  return out;
}

export type ClipImageSource = Uint8Array | OpenedImage | RawRgbImage;

function isRaw(source: ClipImageSource): source is RawRgbImage {
  return !(source instanceof Uint8Array) && "data" in source;
}

/** CLIPImageProcessor's steps for a square crop: the options as a preprocessing. */
export function clipPreprocessing(options: ClipPreprocessOptions = {}): ImagePreprocessing {
  const size = options.size ?? CLIP_IMAGE_SIZE;
  const cropSize = options.cropSize ?? size;
  clipGeometry(size, size, size, cropSize); // refuses what clipGeometry refuses, before any decoding
  return {
    resize: { shortestEdge: size },
    resample: "bicubic",
    crop: { height: cropSize, width: cropSize },
    rescaleFactor: 1 / 255,
    normalize: { mean: [...(options.mean ?? CLIP_MEAN)] as [number, number, number], std: [...(options.std ?? CLIP_STD)] as [number, number, number] },
  };
}

/** Resized and cropped 8-bit RGB, cropSize × cropSize. */
export function clipCropRgb(source: ClipImageSource, options: ClipPreprocessOptions = {}): Promise<RawRgbImage> {
  return preprocessedRgb(source, clipPreprocessing(options), options);
}

const KERNELS = { nearest: "nearest", bilinear: "linear", bicubic: "cubic" } as const;

/** The resized and cropped 8-bit RGB of a preprocessing (sharp: nearest, linear or cubic, like PIL's filters). */
export async function preprocessedRgb(source: ClipImageSource, preprocessing: ImagePreprocessing, options: DecodeOptions = {}): Promise<RawRgbImage> {
  const kernel = KERNELS[preprocessing.resample];
  const raw = isRaw(source) ? source : null;
  const image = raw ? null : source instanceof Uint8Array ? await openImage(source, options) : (source as OpenedImage);
  const width = raw?.width ?? (image as OpenedImage).width;
  const height = raw?.height ?? (image as OpenedImage).height;
  const g = preprocessGeometry(width, height, preprocessing);
  const crop = (pipeline: Sharp) => (preprocessing.crop ? pipeline.extract({ left: g.left, top: g.top, width: g.width, height: g.height }) : pipeline);
  const toRaw = async (pipeline: Sharp): Promise<RawRgbImage> => {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  };
  const sharpOf = (rgb: RawRgbImage) => sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  const resizing = preprocessing.resize !== null && (g.resizeWidth !== width || g.resizeHeight !== height);
  // Enlarging goes through PIL's own algorithm (pil-resample.ts): libvips' upsampling samples a
  // quarter pixel away from PIL's pixel centres, some 4 grey levels on average. Shrinking stays on
  // sharp, whose reduce kernels are PIL's to a grey level or two, and ~20× faster on large images.
  if (resizing && (g.resizeWidth > width || g.resizeHeight > height)) {
    const decoded = raw ?? (await readRawRgb(image as OpenedImage, imagePipeline(image as OpenedImage)));
    const resized = pilResize(decoded, g.resizeWidth, g.resizeHeight, preprocessing.resample);
    return preprocessing.crop ? toRaw(crop(sharpOf(resized))) : resized;
  }
  const resize = (pipeline: Sharp) => (resizing ? pipeline.resize({ width: g.resizeWidth, height: g.resizeHeight, fit: "fill", kernel, fastShrinkOnLoad: false }) : pipeline);
  if (raw) return toRaw(crop(resize(sharpOf(raw))));
  return readRawRgb(image as OpenedImage, crop(resize(imagePipeline(image as OpenedImage))));
}

/**
 * One image through a model's preprocessing (a Hugging Face preprocessor_config.json's steps: resize,
 * center crop, rescale, normalise) → Float32Array CHW [3, height, width].
 */
export async function preprocessImage(source: ClipImageSource, preprocessing: ImagePreprocessing, options: DecodeOptions = {}): Promise<{ data: Float32Array; width: number; height: number }> {
  const rgb = await preprocessedRgb(source, preprocessing, options);
  const { normalize } = preprocessing;
  const data = rgbToNormalisedChw(rgb.data, rgb.width * rgb.height, normalize?.mean ?? [0, 0, 0], normalize?.std ?? [1, 1, 1], undefined, 0, preprocessing.rescaleFactor);
  return { data, width: rgb.width, height: rgb.height };
}

/** One image → Float32Array CHW [3, cropSize, cropSize]. */
export async function preprocessClip(source: ClipImageSource, options: ClipPreprocessOptions = {}): Promise<Float32Array> {
  return (await preprocessImage(source, clipPreprocessing(options), options)).data;
}

export interface ClipBatch {
  /** NCHW float32. */
  readonly data: Float32Array;
  readonly dims: readonly [number, 3, number, number];
}

/** N images → one Float32Array NCHW [N, 3, cropSize, cropSize] (images decoded concurrently). */
export async function preprocessClipBatch(sources: readonly ClipImageSource[], options: ClipPreprocessOptions = {}): Promise<ClipBatch> {
  const side = options.cropSize ?? options.size ?? CLIP_IMAGE_SIZE;
  const pixels = side * side;
  const data = new Float32Array(sources.length * 3 * pixels);
  const crops = await Promise.all(sources.map((s) => clipCropRgb(s, options)));
  crops.forEach((crop, n) => {
    rgbToNormalisedChw(crop.data, pixels, options.mean ?? CLIP_MEAN, options.std ?? CLIP_STD, data, n * 3 * pixels);
  });
  return { data, dims: [sources.length, 3, side, side] };
}

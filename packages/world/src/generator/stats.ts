/**
 * Image statistics the world's specifications (and later evaluations) measure shifts by.
 * All take an RGB Uint8Array, H×W×3 row-major, and work on raw 0–255 channel values.
 */
import type { WorldImageSize } from "./scene.js";

/** Mean over every channel value: overall brightness. */
export function meanBrightness(image: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < image.length; i++) sum += image[i]!;
  return sum / image.length;
}

/** Standard deviation over every channel value: global contrast. */
export function contrast(image: Uint8Array): number {
  const mean = meanBrightness(image);
  let sum = 0;
  for (let i = 0; i < image.length; i++) sum += (image[i]! - mean) ** 2;
  return Math.sqrt(sum / image.length);
}

/** Per-channel means [r, g, b]. */
export function channelMeans(image: Uint8Array): [number, number, number] {
  const sums = [0, 0, 0];
  for (let i = 0; i < image.length; i++) sums[i % 3]! += image[i]!;
  const n = image.length / 3;
  return [sums[0]! / n, sums[1]! / n, sums[2]! / n];
}

/** Per-channel standard deviations [r, g, b]. */
export function channelStds(image: Uint8Array): [number, number, number] {
  const means = channelMeans(image);
  const sums = [0, 0, 0];
  for (let i = 0; i < image.length; i++) sums[i % 3]! += (image[i]! - means[i % 3]!) ** 2;
  const n = image.length / 3;
  return [Math.sqrt(sums[0]! / n), Math.sqrt(sums[1]! / n), Math.sqrt(sums[2]! / n)];
}

/** Mean absolute difference between horizontally and vertically adjacent pixels: high-frequency energy. */
export function neighbourDifference(image: Uint8Array, { height, width }: WorldImageSize): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        if (x + 1 < width) (sum += Math.abs(image[i + c]! - image[i + 3 + c]!)), count++;
        if (y + 1 < height) (sum += Math.abs(image[i + c]! - image[i + width * 3 + c]!)), count++;
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}

/** Fraction of channel values saturated at 255. */
export function clippedFraction(image: Uint8Array): number {
  let clipped = 0;
  for (let i = 0; i < image.length; i++) if (image[i] === 255) clipped++;
  return clipped / image.length;
}

import sharp from "sharp";
import { sceneSamples, type WorldSplit } from "./generator/dataset.js";
import type { WorldSpec } from "./spec.js";

/** A world scene as the service receives it: an encoded image and its label map. */
export interface EncodedSample {
  readonly domain: string;
  readonly index: number;
  /** PNG (lossless: what is evaluated is exactly what was generated). */
  readonly png: Uint8Array;
  readonly labels: Uint8Array;
  readonly height: number;
  readonly width: number;
}

export async function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** The first `count` scenes of a domain's split, PNG-encoded. */
export async function encodedSamples(spec: WorldSpec, seed: number, domain: string, split: WorldSplit, count: number): Promise<EncodedSample[]> {
  return Promise.all(
    sceneSamples(domain, split, count, { size: spec.imageSize, seed }).map(async (s) => ({
      domain,
      index: s.index,
      png: await encodeRgbPng(s.image, s.width, s.height),
      labels: s.labels,
      height: s.height,
      width: s.width,
    })),
  );
}

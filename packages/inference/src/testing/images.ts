import { crc32 } from "node:zlib";
import sharp, { type Sharp } from "sharp";

/** Synthetic images for tests, built with sharp from known pixel values. */

export type Rgb = readonly [number, number, number];
export type EncodeFormat = "jpeg" | "png" | "webp";

function encode(pipeline: Sharp, format: EncodeFormat): Promise<Buffer> {
  if (format === "jpeg") return pipeline.jpeg({ quality: 95 }).toBuffer();
  if (format === "webp") return pipeline.webp({ lossless: true }).toBuffer();
  return pipeline.png().toBuffer();
}

export async function encodeRaw(data: Uint8Array, width: number, height: number, channels: 1 | 3 | 4, format: EncodeFormat, orientation?: number): Promise<Uint8Array> {
  let pipeline = sharp(data, { raw: { width, height, channels } });
  if (orientation !== undefined) pipeline = pipeline.withMetadata({ orientation });
  return new Uint8Array(await encode(pipeline, format));
}

/** Vertical bands of equal width, left to right. */
export function bandsRgb(width: number, height: number, colours: readonly Rgb[]): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = colours[Math.floor((x * colours.length) / width)] as Rgb;
      data.set(colour, (y * width + x) * 3);
    }
  }
  return data;
}

export function solidImage(width: number, height: number, colour: Rgb, format: EncodeFormat = "png"): Promise<Uint8Array> {
  return encodeRaw(bandsRgb(width, height, [colour]), width, height, 3, format);
}

/** Pseudo-random RGB noise (deterministic), a worst case for resampling. */
export function noiseRgb(width: number, height: number, seed = 1): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  let state = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = state >>> 24;
  }
  return data;
}

function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + body.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, body.length);
  chunk.set(Buffer.from(type, "latin1"), 4);
  chunk.set(body, 8);
  view.setUint32(8 + body.length, crc32(chunk.subarray(4, 8 + body.length)));
  return chunk;
}

/**
 * A PNG whose header claims width × height but carries (almost) no pixel data: a decompression bomb's
 * header. With `idat: false` not even an empty IDAT follows, so libvips cannot read its header at all:
 * only a check made from the IHDR bytes, before libvips, can refuse it by its size.
 */
export function pngHeaderOnly(width: number, height: number, { idat = true }: { idat?: boolean } = {}): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    ...(idat ? [pngChunk("IDAT", new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]))] : []),
    pngChunk("IEND", new Uint8Array()),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

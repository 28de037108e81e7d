import { LIMITS } from "@semla/core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { bandsRgb, encodeRaw, noiseRgb, pngHeaderOnly, solidImage } from "../testing/images.js";
import { decodeImage, imagePipeline, openImage, readRawRgb } from "./decode.js";
import { ImageError } from "./errors.js";
import { sniffImageFormat } from "./sniff.js";

async function imageError(promise: Promise<unknown>): Promise<ImageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageError);
  return error as ImageError;
}

const RED = [255, 0, 0] as const;
const BLUE = [0, 0, 255] as const;

describe("decodeImage", () => {
  it("decodes PNG and lossless WebP to the exact RGB bytes", async () => {
    const pixels = noiseRgb(17, 9);
    for (const format of ["png", "webp"] as const) {
      const decoded = await decodeImage(await encodeRaw(pixels, 17, 9, 3, format));
      expect(decoded).toMatchObject({ format, width: 17, height: 9 });
      expect(Array.from(decoded.data)).toEqual(Array.from(pixels));
    }
  });

  it("decodes JPEG (lossy: within a few grey levels on a flat colour)", async () => {
    const decoded = await decodeImage(await solidImage(32, 16, [200, 100, 50], "jpeg"));
    expect(decoded).toMatchObject({ format: "jpeg", width: 32, height: 16 });
    for (let p = 0; p < 32 * 16; p++) {
      expect(Math.abs((decoded.data[3 * p] as number) - 200)).toBeLessThanOrEqual(3);
      expect(Math.abs((decoded.data[3 * p + 1] as number) - 100)).toBeLessThanOrEqual(3);
      expect(Math.abs((decoded.data[3 * p + 2] as number) - 50)).toBeLessThanOrEqual(3);
    }
  });

  it("applies the EXIF orientation: orientation 6 (rotate 90° clockwise) turns left|right into top/bottom", async () => {
    // Stored 40×20: left half red, right half blue.
    const stored = bandsRgb(40, 20, [RED, BLUE]);
    const jpeg = await encodeRaw(stored, 40, 20, 3, "jpeg", 6);
    expect(await openImage(jpeg)).toMatchObject({ width: 20, height: 40, orientation: 6 });
    const decoded = await decodeImage(jpeg);
    expect([decoded.width, decoded.height]).toEqual([20, 40]);
    const at = (x: number, y: number) => Array.from(decoded.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
    const close = (actual: number[], expected: readonly number[]) =>
      actual.forEach((v, i) => {
        expect(Math.abs(v - (expected[i] as number))).toBeLessThanOrEqual(12);
      });
    close(at(10, 5), RED);
    close(at(10, 34), BLUE);
  });

  it("composites alpha onto white, as transformers' convert_to_rgb does", async () => {
    // (255,0,0,α=255), (0,0,0,α=0), (0,0,255,α=128)
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255, 128]);
    const decoded = await decodeImage(await encodeRaw(rgba, 3, 1, 4, "png"));
    // 0·128/255 + 255·127/255 = 127; 255·128/255 + 255·127/255 = 255.
    expect(Array.from(decoded.data)).toEqual([255, 0, 0, 255, 255, 255, 127, 127, 255]);
  });

  it("expands a greyscale PNG to RGB and a 16-bit PNG to 8 bits", async () => {
    const grey = await sharp(new Uint8Array([0, 100, 255]), { raw: { width: 3, height: 1, channels: 1 } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    expect(Array.from((await decodeImage(grey)).data)).toEqual([0, 0, 0, 100, 100, 100, 255, 255, 255]);

    const deep = await sharp(new Uint8Array([10, 20, 30]), { raw: { width: 1, height: 1, channels: 3 } })
      .toColourspace("rgb16")
      .png()
      .toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe("ushort");
    expect(Array.from((await decodeImage(deep)).data)).toEqual([10, 20, 30]);
  });

  it("refuses GIF, TIFF, AVIF, SVG, PDF and BMP naming the format and what is accepted", async () => {
    const create = () => sharp({ create: { width: 4, height: 4, channels: 3, background: "red" } });
    const cases: Array<[string, Uint8Array]> = [
      ["gif", await create().gif().toBuffer()],
      ["tiff", await create().tiff().toBuffer()],
      ["avif", await create().avif().toBuffer()],
      ["svg", Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')],
      ["pdf", Buffer.from("%PDF-1.4\n%âãÏÓ\n")],
      ["bmp", Buffer.from("BM\x00\x00\x00\x00")],
    ];
    for (const [format, bytes] of cases) {
      expect(sniffImageFormat(bytes)).toBe(format);
      const error = await imageError(decodeImage(bytes));
      expect(error.code).toBe("image.unsupported-format");
      expect(error.message).toBe(`${format.toUpperCase()} images are not accepted: send JPEG, PNG or WebP`);
      expect(error.details).toEqual({ rule: "unsupported-format", format, accepted: ["jpeg", "png", "webp"] });
    }
  });

  it("refuses bytes that are not an image", async () => {
    const error = await imageError(decodeImage(new TextEncoder().encode("hello, world")));
    expect(error.code).toBe("image.undecodable");
    expect(error.message).toBe("Not an image this service can read: expected JPEG, PNG or WebP");
    expect(error.details).toMatchObject({ byteLength: 12 });
    expect((await imageError(decodeImage(new Uint8Array()))).code).toBe("image.undecodable");
  });

  it("refuses a truncated JPEG and a PNG signature followed by garbage", async () => {
    const jpeg = await encodeRaw(noiseRgb(64, 64), 64, 64, 3, "jpeg");
    const truncated = await imageError(decodeImage(jpeg.subarray(0, jpeg.length >> 1)));
    expect(truncated.code).toBe("image.undecodable");
    expect(truncated.message).toMatch(/^The JPEG image could not be decoded: /);

    const fake = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8]);
    const garbage = await imageError(decodeImage(fake));
    expect(garbage.code).toBe("image.undecodable");
    expect(garbage.message).toMatch(/^The PNG image could not be decoded: /);
  });

  it("refuses an image over the pixel limit from its header alone, naming its size", async () => {
    // A 100000×100000 PNG header with no pixel data: decoding it would need 30 GB.
    const bomb = pngHeaderOnly(100_000, 100_000);
    expect(bomb.length).toBeLessThan(100);
    const error = await imageError(decodeImage(bomb));
    expect(error.code).toBe("image.too-large");
    expect(error.message).toBe("Image is 100000×100000 (10000.0 megapixels), over the limit of 40.0 megapixels");
    expect(error.details).toEqual({
      rule: "too-large",
      width: 100_000,
      height: 100_000,
      pixels: 10_000_000_000,
      maxPixels: LIMITS.imagePixels,
    });
  });

  it("refuses a 39000000×1 PNG from its IHDR alone (libvips cannot even read it), naming the side and the limit", async () => {
    const strip = pngHeaderOnly(39_000_000, 1, { idat: false });
    const error = await imageError(decodeImage(strip));
    expect([error.code, error.kind, error.message]).toEqual(["image.too-large", "too-large", `Image is 39000000×1: its width 39000000 is over the limit of ${LIMITS.imageSide} pixels`]);
    expect(error.details).toEqual({ rule: "too-large", width: 39_000_000, height: 1, side: "width", limit: LIMITS.imageSide });
    // Without the header-first check the same bytes were only "undecodable": libvips finds no pixel data.
    expect((await imageError(decodeImage(pngHeaderOnly(100, 10, { idat: false })))).code).toBe("image.undecodable");
  });

  it(`accepts each side up to ${LIMITS.imageSide} and an aspect ratio up to ${LIMITS.imageAspectRatio}:1, and refuses one more`, async () => {
    const side = LIMITS.imageSide;
    const atLimit = await openImage(pngHeaderOnly(side, side / LIMITS.imageAspectRatio));
    expect([atLimit.width, atLimit.height]).toEqual([side, side / LIMITS.imageAspectRatio]);
    expect((await openImage(pngHeaderOnly(2000, side))).height).toBe(side);

    const tall = await imageError(openImage(pngHeaderOnly(2000, side + 1, { idat: false })));
    expect(tall.details).toEqual({ rule: "too-large", width: 2000, height: side + 1, side: "height", limit: side });
    const thin = await imageError(openImage(pngHeaderOnly(side, side / LIMITS.imageAspectRatio - 1, { idat: false })));
    expect(thin.code).toBe("image.too-large");
    expect(thin.message).toBe(`Image is ${side}×511: its aspect ratio 32.1:1 is over the limit of ${LIMITS.imageAspectRatio}:1`);
    expect(thin.details).toEqual({ rule: "too-large", width: side, height: 511, aspectRatio: side / 511, limit: LIMITS.imageAspectRatio });
  });

  it("reads the size from a JPEG's header too, before libvips", async () => {
    const wide = await encodeRaw(noiseRgb(LIMITS.imageSide + 1, 1024), LIMITS.imageSide + 1, 1024, 3, "jpeg");
    const error = await imageError(decodeImage(wide.subarray(0, 1024)));
    expect(error.details).toEqual({ rule: "too-large", width: LIMITS.imageSide + 1, height: 1024, side: "width", limit: LIMITS.imageSide });
  });

  it("takes a configurable limit; the limit is inclusive", async () => {
    const png = await solidImage(40, 30, [1, 2, 3]);
    const error = await imageError(decodeImage(png, { maxPixels: 1199 }));
    expect(error.message).toBe("Image is 40×30 (0.0 megapixels), over the limit of 0.0 megapixels");
    expect(error.details).toMatchObject({ width: 40, height: 30, pixels: 1200, maxPixels: 1199 });
    expect((await decodeImage(png, { maxPixels: 1200 })).width).toBe(40);
    await expect(decodeImage(png, { maxPixels: 0 })).rejects.toThrow(RangeError);
    await expect(decodeImage(png, { maxPixels: 1.5 })).rejects.toThrow(RangeError);
  });

  it("libvips enforces the limit too (limitInputPixels), mapped to image.too-large", async () => {
    const opened = await openImage(await solidImage(40, 30, [1, 2, 3]));
    const lowered = { ...opened, maxPixels: 100 };
    const error = await imageError(readRawRgb(lowered, imagePipeline(lowered)));
    expect(error.code).toBe("image.too-large");
    expect(error.details).toMatchObject({ width: 40, height: 30, maxPixels: 100 });
  });
});

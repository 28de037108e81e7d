import { describe, expect, it } from "vitest";
import { bandsRgb, encodeRaw, noiseRgb, type Rgb, solidImage } from "../testing/images.js";
import { CLIP_MEAN, CLIP_STD, clipCropRgb, clipGeometry, preprocessClip, preprocessClipBatch, rgbToNormalisedChw } from "./clip.js";
import { decodeImage } from "./decode.js";
import { ImageError } from "./errors.js";

const SIDE = 224;
const PLANE = SIDE * SIDE;

/** (v/255 − mean)/std in float64, the reference the float32 pipeline must match within 1e-6. */
function expected(v: number, c: number, mean: readonly number[] = CLIP_MEAN, std: readonly number[] = CLIP_STD): number {
  return (v / 255 - (mean[c] as number)) / (std[c] as number);
}

/** Back from a normalised value to the 0..255 grey level it came from. */
function level(x: number, c: number): number {
  return (x * (CLIP_STD[c] as number) + (CLIP_MEAN[c] as number)) * 255;
}

function pixel(chw: Float32Array, x: number, y: number, side = SIDE): Rgb {
  const p = y * side + x;
  const plane = side * side;
  return [level(chw[p] as number, 0), level(chw[plane + p] as number, 1), level(chw[2 * plane + p] as number, 2)];
}

function expectLevels(actual: Rgb, target: Rgb, tolerance: number): void {
  actual.forEach((v, c) => {
    expect(Math.abs(v - (target[c] as number))).toBeLessThanOrEqual(tolerance);
  });
}

describe("clipGeometry (transformers' shortest-edge resize and center crop)", () => {
  it("scales the shortest side to size, truncates the long side, centers the crop (floor)", () => {
    expect(clipGeometry(640, 480, 224)).toEqual({ resizeWidth: 298, resizeHeight: 224, left: 37, top: 0, cropSize: 224 });
    expect(clipGeometry(480, 640, 224)).toEqual({ resizeWidth: 224, resizeHeight: 298, left: 0, top: 37, cropSize: 224 });
    expect(clipGeometry(1920, 1080, 224)).toEqual({ resizeWidth: 398, resizeHeight: 224, left: 87, top: 0, cropSize: 224 });
    expect(clipGeometry(500, 500, 224)).toEqual({ resizeWidth: 224, resizeHeight: 224, left: 0, top: 0, cropSize: 224 });
    expect(clipGeometry(10, 5, 224)).toEqual({ resizeWidth: 448, resizeHeight: 224, left: 112, top: 0, cropSize: 224 });
    expect(clipGeometry(300, 300, 256, 224)).toEqual({ resizeWidth: 256, resizeHeight: 256, left: 16, top: 16, cropSize: 224 });
  });

  it("refuses a crop larger than the resize and non-integer sizes", () => {
    expect(() => clipGeometry(100, 100, 224, 225)).toThrow(RangeError);
    expect(() => clipGeometry(100, 100, 0)).toThrow(RangeError);
    expect(() => clipGeometry(100, 100, 22.5)).toThrow(RangeError);
  });
});

describe("preprocessClip", () => {
  it("a uniform colour gives (v/255 − mean)/std everywhere, planar CHW", async () => {
    const colour: Rgb = [200, 100, 50];
    const chw = await preprocessClip(await solidImage(300, 200, colour));
    expect(chw).toBeInstanceOf(Float32Array);
    expect(chw.length).toBe(3 * PLANE);
    for (let c = 0; c < 3; c++) {
      const want = expected(colour[c] as number, c);
      let worst = 0;
      for (let p = 0; p < PLANE; p++) worst = Math.max(worst, Math.abs((chw[c * PLANE + p] as number) - want));
      expect(worst).toBeLessThan(1e-6);
    }
    // Planar, not interleaved: the first values are all red-channel values.
    expect(chw[0]).toBe(chw[1]);
    expect(chw[0]).not.toBe(chw[PLANE]);
  });

  it("reproduces numpy's float32 arithmetic exactly (mean and std cast to float32)", () => {
    const out = rgbToNormalisedChw(new Uint8Array([0, 128, 255]), 1);
    const f = Math.fround;
    for (let c = 0; c < 3; c++) {
      const v = [0, 128, 255][c] as number;
      const numpy = f(f(f(v * (1 / 255)) - f(CLIP_MEAN[c] as number)) / f(CLIP_STD[c] as number));
      expect(out[c]).toBe(numpy);
    }
    expect(Array.from(out)).toEqual([-1.7922625541687012, 0.16889731585979462, 2.1458969116210938]);
  });

  it("takes size, mean and std: mean 0.5, std 0.5 maps 0 → −1 and 255 → 1", async () => {
    const chw = await preprocessClip(await solidImage(50, 40, [0, 255, 0]), { size: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(chw.length).toBe(3 * 32 * 32);
    expect(new Set(chw.subarray(0, 1024))).toEqual(new Set([-1]));
    expect(new Set(chw.subarray(1024, 2048))).toEqual(new Set([1]));
    expect(new Set(chw.subarray(2048))).toEqual(new Set([-1]));
  });

  it("a 3:1 image keeps its centre: left third red, middle blue, right third green → the crop is blue", async () => {
    const png = await encodeRaw(
      bandsRgb(900, 300, [
        [255, 0, 0],
        [0, 0, 255],
        [0, 255, 0],
      ]),
      900,
      300,
      3,
      "png",
    );
    const crop = await clipCropRgb(png);
    expect([crop.width, crop.height]).toEqual([SIDE, SIDE]);
    // Resized to 672×224, cropped at x = 224: exactly the middle third. Only the outermost
    // columns see the neighbouring bands through the bicubic kernel.
    const notBlue: string[] = [];
    let edgeBlueMin = 255;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const at = (y * SIDE + x) * 3;
        const [r, g, b] = [crop.data[at], crop.data[at + 1], crop.data[at + 2]];
        if (x === 0 || x === SIDE - 1) edgeBlueMin = Math.min(edgeBlueMin, b as number);
        else if (r !== 0 || g !== 0 || b !== 255) notBlue.push(`${x},${y}`);
      }
    }
    expect(notBlue).toEqual([]);
    expect(edgeBlueMin).toBeGreaterThan(230);
  });

  it("a tall image keeps its vertical centre", async () => {
    // 300×900, horizontal bands: top red, middle blue, bottom green.
    const tall = new Uint8Array(300 * 900 * 3);
    for (let y = 0; y < 900; y++) {
      const colour = y < 300 ? [255, 0, 0] : y < 600 ? [0, 0, 255] : [0, 255, 0];
      for (let x = 0; x < 300; x++) tall.set(colour, (y * 300 + x) * 3);
    }
    const chw = await preprocessClip(await encodeRaw(tall, 300, 900, 3, "png"));
    for (const y of [1, 50, 112, 200, 222]) expectLevels(pixel(chw, 112, y), [0, 0, 255], 0.01);
  });

  it("applies EXIF orientation before resizing (JPEG stored 400×200 with orientation 6)", async () => {
    // Stored: left half red, right half blue → displayed 200×400: top half red, bottom blue.
    const stored = bandsRgb(400, 200, [
      [255, 0, 0],
      [0, 0, 255],
    ]);
    const rotated = await preprocessClip(await encodeRaw(stored, 400, 200, 3, "jpeg", 6));
    expectLevels(pixel(rotated, 112, 40), [255, 0, 0], 12); // displayed rows 100..300 → crop's top half red
    expectLevels(pixel(rotated, 112, 180), [0, 0, 255], 12);
    // The same bytes without the tag come out unrotated: left red, right blue.
    const upright = await preprocessClip(await encodeRaw(stored, 400, 200, 3, "jpeg", 1));
    expectLevels(pixel(upright, 40, 112), [255, 0, 0], 12);
    expectLevels(pixel(upright, 180, 112), [0, 0, 255], 12);
  });

  it("flattens alpha onto white: a fully transparent PNG is white, half-transparent blue is light blue", async () => {
    const transparent = new Uint8Array(20 * 20 * 4); // (0,0,0,0)
    const white = await preprocessClip(await encodeRaw(transparent, 20, 20, 4, "png"));
    for (let c = 0; c < 3; c++) expect(Math.abs((white[c * PLANE + 777] as number) - expected(255, c))).toBeLessThan(1e-6);

    const halfBlue = new Uint8Array(20 * 20 * 4);
    for (let p = 0; p < 400; p++) halfBlue.set([0, 0, 255, 128], 4 * p);
    const light = await preprocessClip(await encodeRaw(halfBlue, 20, 20, 4, "png"));
    const want: Rgb = [127, 127, 255];
    for (let c = 0; c < 3; c++) expect(Math.abs((light[c * PLANE + 777] as number) - expected(want[c] as number, c))).toBeLessThan(1e-6);
  });

  it("gives identical values from encoded bytes and from already-decoded RGB", async () => {
    const pixels = noiseRgb(123, 77, 7);
    const png = await encodeRaw(pixels, 123, 77, 3, "png");
    const fromBytes = await preprocessClip(png);
    const fromRaw = await preprocessClip(await decodeImage(png));
    expect(fromRaw.length).toBe(3 * PLANE);
    expect(Buffer.from(fromRaw.buffer).equals(Buffer.from(fromBytes.buffer))).toBe(true);
  });

  it("reports decoding failures as ImageError", async () => {
    await expect(preprocessClip(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(ImageError);
    await expect(preprocessClip(await solidImage(40, 30, [0, 0, 0]), { maxPixels: 1000 })).rejects.toMatchObject({
      code: "image.too-large",
    });
  });
});

describe("preprocessClipBatch", () => {
  it("stacks images NCHW, each slice equal to the single-image result", async () => {
    const a = await solidImage(64, 48, [10, 20, 30]);
    const b = await encodeRaw(noiseRgb(50, 90, 3), 50, 90, 3, "webp");
    const batch = await preprocessClipBatch([a, b], { size: 32 });
    expect(batch.dims).toEqual([2, 3, 32, 32]);
    expect(batch.data.length).toBe(2 * 3 * 32 * 32);
    expect(batch.data.subarray(0, 3072)).toEqual(await preprocessClip(a, { size: 32 }));
    expect(batch.data.subarray(3072)).toEqual(await preprocessClip(b, { size: 32 }));
    expect((await preprocessClipBatch([], { size: 32 })).dims).toEqual([0, 3, 32, 32]);
  });
});

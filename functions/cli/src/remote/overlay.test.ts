import sharp, { type OutputInfo } from "sharp";
import { describe, expect, it } from "vitest";
import { colourMaskPng, overlayPng } from "./overlay.js";

/** A 4×2 mask of class indices 0, 1, 2 (an 8-bit greyscale PNG, as the API answers) and a grey image of its size. */
const INDICES = [0, 0, 1, 1, 2, 2, 0, 1];
const mask = async () =>
  new Uint8Array(
    await sharp(Buffer.from(INDICES), { raw: { width: 4, height: 2, channels: 1 } })
      .png()
      .toBuffer(),
  );
const grey = async () =>
  new Uint8Array(
    await sharp({ create: { width: 4, height: 2, channels: 3, background: { r: 100, g: 100, b: 100 } } })
      .png()
      .toBuffer(),
  );
const rgbAt = (raw: { data: Buffer; info: OutputInfo }, x: number, y: number) => [...raw.data.subarray((y * raw.info.width + x) * raw.info.channels, (y * raw.info.width + x) * raw.info.channels + 3)];

/** The console's first three class colours, #e6194b, #3cb44b and #ffe119. */
const COLOURS = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
];

describe("the CLI's pictures of a mask, in the console's colours", () => {
  it("--mask-color: each pixel its class's colour, at the mask's size", async () => {
    const raw = await sharp(await colourMaskPng(await mask()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([raw.info.width, raw.info.height, raw.info.channels]).toEqual([4, 2, 3]);
    expect(INDICES.map((_, p) => rgbAt(raw, p % 4, Math.floor(p / 4)))).toEqual(INDICES.map((i) => COLOURS[i]));
  });

  it("--overlay: the image tinted half and half, and a legend panel to its right with each class's swatch", async () => {
    const legend = [
      { className: "road", pixelFraction: 0.375 },
      { className: "sky", pixelFraction: 0.375 },
      { className: "driver's <side>", pixelFraction: 0.25 },
    ];
    const raw = await sharp(await overlayPng(await grey(), await mask(), legend))
      .raw()
      .toBuffer({ resolveWithObject: true });
    // The image's 4 pixels wide plus the 220-pixel panel; as tall as the panel's three rows need.
    expect([raw.info.width, raw.info.height, raw.info.channels]).toEqual([224, 76, 3]);
    expect(rgbAt(raw, 0, 0)).toEqual([165, 63, 88]);
    expect(rgbAt(raw, 2, 0)).toEqual([80, 140, 88]);
    expect(rgbAt(raw, 0, 1)).toEqual([178, 163, 63]);
    expect(rgbAt(raw, 0, 40)).toEqual([255, 255, 255]);
    // Swatches: 14 pixels square, 8 pixels into the panel, a row every 20 pixels.
    for (const [i, colour] of COLOURS.entries()) expect(rgbAt(raw, 4 + 15, 15 + i * 20)).toEqual(colour);
    // The class names are drawn: dark pixels right of the swatches on each row.
    for (let i = 0; i < 3; i++) {
      const row = Array.from({ length: 150 }, (_, x) => rgbAt(raw, 4 + 30 + x, 15 + i * 20));
      expect(row.some(([r, g, b]) => r! + g! + b! < 300)).toBe(true);
    }
  });
});

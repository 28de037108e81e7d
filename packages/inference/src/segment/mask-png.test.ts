import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodeMaskPng } from "./mask-png.js";

describe("encodeMaskPng", () => {
  it("writes an 8-bit greyscale PNG whose pixel values are the labels", async () => {
    const labels = Uint8Array.from({ length: 15 }, (_, i) => (i * 37) % 256);
    const png = await encodeMaskPng({ labels, width: 5, height: 3 });
    const metadata = await sharp(png).metadata();
    expect(metadata).toMatchObject({ format: "png", width: 5, height: 3, channels: 1, depth: "uchar", hasAlpha: false });
    // sharp widens to sRGB on output unless asked to keep one channel.
    const { data, info } = await sharp(png).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(1);
    expect(Array.from(data)).toEqual(Array.from(labels));
  });
});

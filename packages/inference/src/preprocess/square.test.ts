import { describe, expect, it } from "vitest";
import { bandsRgb, encodeRaw, solidImage } from "../testing/images.js";
import { CLIP_MEAN, CLIP_STD } from "./clip.js";
import { preprocessSquare } from "./square.js";

const level = (x: number, c: number) => (x * (CLIP_STD[c] as number) + (CLIP_MEAN[c] as number)) * 255;

describe("preprocessSquare", () => {
  it("keeps the whole image: a 4:1 image's left and right quarters reach the square's edges", async () => {
    // 400×100: red | blue | blue | green.
    const png = await encodeRaw(
      bandsRgb(400, 100, [
        [255, 0, 0],
        [0, 0, 255],
        [0, 0, 255],
        [0, 255, 0],
      ]),
      400,
      100,
      3,
      "png",
    );
    const out = await preprocessSquare(png, { size: 16 });
    expect([out.size, out.width, out.height]).toEqual([16, 400, 100]);
    expect(out.data.length).toBe(3 * 256);
    const at = (x: number, y: number) => [0, 1, 2].map((c) => Math.round(level(out.data[c * 256 + y * 16 + x] as number, c)) + 0);
    expect(at(0, 8)).toEqual([255, 0, 0]);
    expect(at(8, 8)).toEqual([0, 0, 255]);
    expect(at(15, 8)).toEqual([0, 255, 0]);
  });

  it("reports the displayed size of an EXIF-rotated image and normalises exactly", async () => {
    const stored = bandsRgb(60, 20, [[10, 20, 30]]);
    const out = await preprocessSquare(await encodeRaw(stored, 60, 20, 3, "png", 8), { size: 8, mean: [0, 0, 0], std: [1, 1, 1] });
    expect([out.width, out.height]).toEqual([20, 60]);
    expect(out.data[0]).toBe(Math.fround(Math.fround(10 / 255)));
    expect(out.data[64]).toBe(Math.fround(20 * (1 / 255)));
    expect(out.data[128]).toBe(Math.fround(30 * (1 / 255)));
  });

  it("refuses a size that is not a positive integer", async () => {
    await expect(preprocessSquare(await solidImage(4, 4, [0, 0, 0]), { size: 0 })).rejects.toThrow(RangeError);
  });
});

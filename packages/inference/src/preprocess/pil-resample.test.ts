import { describe, expect, it } from "vitest";
import { pilResize } from "./pil-resample.js";

/** 5×3 RGB: red 40·x, green 60·y, blue 255 at (2, 1) only. */
function tiny() {
  const data = new Uint8Array(5 * 3 * 3);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) data.set([40 * x, 60 * y, x === 2 && y === 1 ? 255 : 0], (y * 5 + x) * 3);
  return { data, width: 5, height: 3 };
}

describe("pilResize (PIL's Image.resize in JS)", () => {
  // The values PIL 9.4 gives (Python):
  //   a = np.zeros((3, 5, 3), np.uint8); a[y, x] = [40*x, 60*y, 255 if (x, y) == (2, 1) else 0]
  //   np.array(Image.fromarray(a).resize((8, 4), resample=f)).reshape(-1).tolist()
  it("enlarges as PIL does: nearest, bilinear and bicubic, bit for bit", () => {
    const pil = {
      nearest: [
        0, 0, 0, 0, 0, 0, 40, 0, 0, 80, 0, 0, 80, 0, 0, 120, 0, 0, 160, 0, 0, 160, 0, 0, 0, 60, 0, 0, 60, 0, 40, 60, 0, 80, 60, 255, 80, 60, 255, 120, 60, 0, 160, 60, 0, 160, 60, 0, 0, 60, 0, 0, 60,
        0, 40, 60, 0, 80, 60, 255, 80, 60, 255, 120, 60, 0, 160, 60, 0, 160, 60, 0, 0, 120, 0, 0, 120, 0, 40, 120, 0, 80, 120, 0, 80, 120, 0, 120, 120, 0, 160, 120, 0, 160, 120, 0,
      ],
      bilinear: [
        0, 0, 0, 18, 0, 0, 43, 0, 0, 68, 0, 0, 93, 0, 0, 118, 0, 0, 143, 0, 0, 160, 0, 0, 0, 38, 0, 18, 38, 0, 43, 38, 10, 68, 38, 109, 93, 38, 109, 118, 38, 10, 143, 38, 0, 160, 38, 0, 0, 83, 0, 18,
        83, 0, 43, 83, 10, 68, 83, 109, 93, 83, 109, 118, 83, 10, 143, 83, 0, 160, 83, 0, 0, 120, 0, 18, 120, 0, 43, 120, 0, 68, 120, 0, 93, 120, 0, 118, 120, 0, 143, 120, 0, 160, 120, 0,
      ],
      bicubic: [
        0, 0, 0, 14, 0, 0, 43, 0, 0, 68, 0, 0, 93, 0, 0, 118, 0, 0, 146, 0, 0, 163, 0, 0, 0, 33, 0, 14, 33, 0, 43, 33, 7, 68, 33, 142, 93, 33, 142, 118, 33, 7, 146, 33, 0, 163, 33, 0, 0, 87, 0, 14,
        87, 0, 43, 87, 7, 68, 87, 142, 93, 87, 142, 118, 87, 7, 146, 87, 0, 163, 87, 0, 0, 123, 0, 14, 123, 0, 43, 123, 0, 68, 123, 0, 93, 123, 0, 118, 123, 0, 146, 123, 0, 163, 123, 0,
      ],
    } as const;
    for (const resample of ["nearest", "bilinear", "bicubic"] as const) {
      const out = pilResize(tiny(), 8, 4, resample);
      expect([out.width, out.height]).toEqual([8, 4]);
      expect(Array.from(out.data)).toEqual(pil[resample]);
    }
  });

  it("shrinks one axis while enlarging the other as PIL does (bicubic 5×3 → 3×6)", () => {
    const pil = [
      14, 0, 0, 80, 0, 0, 146, 0, 0, 14, 10, 0, 80, 10, 31, 146, 10, 0, 14, 43, 0, 80, 43, 125, 146, 43, 0, 14, 77, 0, 80, 77, 125, 146, 77, 0, 14, 110, 0, 80, 110, 31, 146, 110, 0, 14, 125, 0, 80,
      125, 0, 146, 125, 0,
    ];
    expect(Array.from(pilResize(tiny(), 3, 6, "bicubic").data)).toEqual(pil);
  });

  it("returns an image of the requested size unchanged", () => {
    const image = tiny();
    expect(pilResize(image, 5, 3, "bicubic")).toBe(image);
  });
});

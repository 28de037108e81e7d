import { describe, expect, it } from "vitest";
import { labelMask, nearestSource } from "./label-mask.js";

const LN3 = Math.log(3);

/** Two classes on a 2×2 model grid; per pixel (c0, c1): (0, ln3) (0, 0) (ln3, 0) (0, ln3). */
const LOGITS = Float32Array.from([0, 0, LN3, 0, /* class 1 */ LN3, 0, 0, LN3]);

describe("nearestSource", () => {
  it("maps output pixel centres onto source pixels (half-pixel, as PIL's NEAREST)", () => {
    expect(Array.from(nearestSource(5, 2))).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(nearestSource(4, 2))).toEqual([0, 0, 1, 1]);
    expect(Array.from(nearestSource(2, 4))).toEqual([1, 3]);
    expect(Array.from(nearestSource(3, 3))).toEqual([0, 1, 2]);
  });
});

describe("labelMask", () => {
  it("takes the argmax (ties to the lower class) and scores each class", () => {
    const mask = labelMask(LOGITS, 2, 2, 2, 2);
    expect(Array.from(mask.labels)).toEqual([1, 0, 0, 1]);
    expect(Array.from(mask.pixelFraction)).toEqual([0.5, 0.5]);
    expect(mask.meanProbability[0]).toBeCloseTo((0.25 + 0.5 + 0.75 + 0.25) / 4, 6);
    expect(mask.meanProbability[1]).toBeCloseTo((0.75 + 0.5 + 0.25 + 0.75) / 4, 6);
  });

  it("resizes by nearest neighbour to the image size and measures scores on the resized mask", () => {
    // Width 3 copies source columns [0, 1, 1]: the right column counts twice.
    const mask = labelMask(LOGITS, 2, 2, 3, 2);
    expect([mask.width, mask.height]).toEqual([3, 2]);
    expect(Array.from(mask.labels)).toEqual([1, 0, 0, 0, 1, 1]);
    expect(mask.pixelFraction[0]).toBe(0.5);
    expect(mask.meanProbability[0]).toBeCloseTo((0.25 + 2 * 0.5 + 0.75 + 2 * 0.25) / 6, 6);
    expect(mask.meanProbability[1]).toBeCloseTo((0.75 + 2 * 0.5 + 0.25 + 2 * 0.75) / 6, 6);
  });

  it("agrees with a brute-force softmax over every output pixel (several tiles, odd sizes)", () => {
    const classes = 3;
    const size = 37; // 1369 pixels: three tiles of 512, the last one partial
    const [width, height] = [50, 29];
    const logits = Float32Array.from({ length: classes * size * size }, (_, i) => Math.sin(i * 1.7) * 4);
    const mask = labelMask(logits, classes, size, width, height);
    const xs = nearestSource(width, size);
    const ys = nearestSource(height, size);
    const counts = [0, 0, 0];
    const probabilities = [0, 0, 0];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = ys[y]! * size + xs[x]!;
        const values = [0, 1, 2].map((c) => logits[c * size * size + p]!);
        const max = Math.max(...values);
        const exps = values.map((v) => Math.exp(v - max));
        const sum = exps.reduce((s, e) => s + e, 0);
        const label = values.indexOf(max);
        expect(mask.labels[y * width + x]).toBe(label);
        counts[label]!++;
        exps.forEach((e, c) => {
          probabilities[c]! += e / sum;
        });
      }
    }
    for (let c = 0; c < classes; c++) {
      expect(mask.pixelFraction[c]).toBeCloseTo(counts[c]! / (width * height), 12);
      expect(mask.meanProbability[c]).toBeCloseTo(probabilities[c]! / (width * height), 12);
    }
  });

  it("refuses logits of the wrong size and more than LIMITS.classes (255) classes", () => {
    expect(() => labelMask(new Float32Array(7), 2, 2, 2, 2)).toThrow("logits hold 7 values, expected 2×2×2");
    expect(() => labelMask(new Float32Array(256), 256, 1, 1, 1)).toThrow("between 1 and 255 classes fit an 8-bit mask, got 256");
    expect(labelMask(new Float32Array(255), 255, 1, 1, 1).labels).toEqual(new Uint8Array([0]));
    expect(() => labelMask(new Float32Array(4), 1, 2, 0, 2)).toThrow("mask size must be positive integers, got 0×2");
  });
});

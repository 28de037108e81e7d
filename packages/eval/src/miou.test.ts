import { describe, expect, it } from "vitest";
import { ConfusionMatrix, IGNORE_LABEL } from "./miou.js";

describe("ConfusionMatrix", () => {
  it("computes IoU per class and mIoU exactly as by hand", () => {
    // gt:   0 0 1 1 2 2      pred: 0 1 1 1 2 0
    // class 0: TP 1, FP 1 (pixel 5), FN 1 (pixel 1) → 1/3
    // class 1: TP 2, FP 1 (pixel 1), FN 0 → 2/3
    // class 2: TP 1, FP 0, FN 1 (pixel 5) → 1/2
    const m = new ConfusionMatrix(4).add(Uint8Array.of(0, 0, 1, 1, 2, 2), Uint8Array.of(0, 1, 1, 1, 2, 0));
    expect(m.iou()).toEqual([1 / 3, 2 / 3, 1 / 2, null]);
    expect(m.meanIou()).toBeCloseTo((1 / 3 + 2 / 3 + 1 / 2) / 3, 15);
    expect(m.pixelAccuracy()).toBe(4 / 6);
  });

  it("ignores 255 in the ground truth and counts a class only predicted as IoU 0", () => {
    const m = new ConfusionMatrix(3).add(Uint8Array.of(0, IGNORE_LABEL, 0, 1), Uint8Array.of(0, 2, 2, 1));
    // class 0: TP 1, FN 1 → 1/2; class 1: 1; class 2: predicted once on a counted pixel → 0/1.
    expect(m.iou()).toEqual([1 / 2, 1, 0]);
    expect(m.meanIou()).toBeCloseTo(1 / 2, 15);
  });

  it("accumulates over images before dividing (a domain's mIoU is not the mean of per-image mIoUs)", () => {
    const a = new ConfusionMatrix(2).add(Uint8Array.of(0, 0, 0, 1), Uint8Array.of(0, 0, 0, 0));
    const b = new ConfusionMatrix(2).add(Uint8Array.of(1, 1), Uint8Array.of(1, 1));
    const merged = new ConfusionMatrix(2).merge(a).merge(b);
    // class 0: TP 3, FP 1 → 3/4; class 1: TP 2, FN 1 → 2/3.
    expect(merged.iou()).toEqual([3 / 4, 2 / 3]);
    expect(merged.meanIou()).toBeCloseTo((3 / 4 + 2 / 3) / 2, 15);
  });

  it("counts predictions outside the class range as misses and refuses mismatched sizes", () => {
    const m = new ConfusionMatrix(2).add(Uint8Array.of(0, 1), Uint8Array.of(0, 9));
    expect(m.iou()).toEqual([1, 0]);
    expect(new ConfusionMatrix(2).meanIou()).toBeNull();
    expect(() => m.add(Uint8Array.of(0), Uint8Array.of(0, 1))).toThrow(RangeError);
    expect(() => new ConfusionMatrix(0)).toThrow(RangeError);
  });
});

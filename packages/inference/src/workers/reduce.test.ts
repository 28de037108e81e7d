import { describe, expect, it } from "vitest";
import { applyReduction } from "./reduce.js";

describe("applyReduction (label-mask)", () => {
  const logits = { data: Float32Array.of(0, 1, 2, 3, /* class 1 */ 3, 2, 1, 0), dims: [1, 2, 2, 2] };
  const extra = { data: Float32Array.of(42), dims: [1] };

  it("replaces the logits by the label mask and keeps the other outputs", () => {
    const { outputs, reduced } = applyReduction({ logits, extra }, { kind: "label-mask", output: "logits", classes: 2, width: 2, height: 1 });
    expect(Object.keys(outputs)).toEqual(["extra"]);
    expect(reduced).toMatchObject({ kind: "label-mask", width: 2, height: 1 });
    // Row 1 of the output copies model row 1 (half-pixel centres): pixels 2 and 3.
    expect(Array.from(reduced.labels)).toEqual([0, 0]);
    expect(Array.from(reduced.pixelFraction)).toEqual([1, 0]);
    expect(reduced.ms).toBeGreaterThanOrEqual(0);
  });

  it("refuses an output of the wrong shape, or a missing one", () => {
    expect(() => applyReduction({ logits }, { kind: "label-mask", output: "logits", classes: 3, width: 2, height: 2 })).toThrow(
      "label-mask: output logits has dims [1, 2, 2, 2], expected [1, 3, h, w]",
    );
    expect(() => applyReduction({ extra }, { kind: "label-mask", output: "logits", classes: 2, width: 2, height: 2 })).toThrow("label-mask: output logits has dims [absent], expected [1, 2, h, w]");
  });
});

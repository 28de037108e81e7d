import { describe, expect, it } from "vitest";
import { mergeModuleShapes, sameModuleShapes } from "./module-shapes.js";

describe("mergeModuleShapes", () => {
  it("is the union of the library's shapes and the adapter's", () => {
    expect(mergeModuleShapes({ q: [16, 8] }, { q: [16, 8], v: [4, 4] }, "a")).toEqual({ q: [16, 8], v: [4, 4] });
    expect(mergeModuleShapes({}, { q: [2, 3] }, "a")).toEqual({ q: [2, 3] });
  });

  it("refuses a module the library knows with another shape, naming both", () => {
    expect(() => mergeModuleShapes({ q: [16, 8] }, { q: [8, 16] }, "a1")).toThrow(
      expect.objectContaining({
        code: "registry.module-shape-mismatch",
        message: "adapter a1 has module q with shape [8, 16] but the library has [16, 8]",
      }),
    );
  });
});

describe("sameModuleShapes", () => {
  it("compares modules and shapes, not key order", () => {
    expect(sameModuleShapes({ q: [1, 2], v: [3, 4] }, { v: [3, 4], q: [1, 2] })).toBe(true);
    expect(sameModuleShapes({ q: [1, 2] }, { q: [1, 3] })).toBe(false);
    expect(sameModuleShapes({ q: [1, 2] }, { q: [1, 2], v: [3, 4] })).toBe(false);
  });
});

import { errorOfIssues, LIMITS } from "@semla/core";
import { describe, expect, it } from "vitest";
import { ClassNamesSchema, checkClassNames } from "./class-names.js";

/** The code, details and message the schema's refusal carries (what the API and the endpoint answer). */
function refusal(names: unknown): { code: string; details: Record<string, unknown>; message: string } | undefined {
  const result = ClassNamesSchema.safeParse(names);
  if (result.success) return undefined;
  const error = errorOfIssues(result.error.issues);
  return error && { code: error.code, details: { ...error.details }, message: error.message };
}

const names = (count: number) => Array.from({ length: count }, (_, i) => `class ${i}`);

describe("the class list (API, transport, endpoint and segmenter alike)", () => {
  it(`accepts ${LIMITS.classes} classes and refuses ${LIMITS.classes + 1} (segment.too-many-classes)`, () => {
    expect(refusal(names(LIMITS.classes))).toBeUndefined();
    expect(refusal(names(LIMITS.classes + 1))).toEqual({
      code: "segment.too-many-classes",
      details: { rule: "too-many-classes", classes: LIMITS.classes + 1, max: LIMITS.classes },
      message: `${LIMITS.classes + 1} classes given; the 8-bit mask holds at most ${LIMITS.classes}`,
    });
  });

  it(`accepts a name of ${LIMITS.className} characters and refuses one of ${LIMITS.className + 1} (segment.class-name-too-long)`, () => {
    expect(refusal(["sky", "a".repeat(LIMITS.className)])).toBeUndefined();
    expect(refusal(["sky", "a".repeat(LIMITS.className + 1)])).toEqual({
      code: "segment.class-name-too-long",
      details: { rule: "class-name-too-long", index: 1, length: LIMITS.className + 1, max: LIMITS.className },
      message: `class name 1 has ${LIMITS.className + 1} characters, over the limit of ${LIMITS.className}`,
    });
  });

  it("refuses an empty list, a blank name and a name given twice (ignoring surrounding whitespace), naming it", () => {
    expect(refusal([])).toEqual({ code: "segment.no-classes", details: { rule: "no-classes" }, message: "at least one class name is needed to segment" });
    expect(refusal(["sky", " \t"])).toEqual({ code: "segment.invalid-class-name", details: { rule: "invalid-class-name", index: 1 }, message: "class name 1 is blank" });
    expect(refusal(["road", "sky", " road"])).toEqual({
      code: "segment.duplicate-class-name",
      details: { rule: "duplicate-class-name", name: "road", indices: [0, 2] },
      message: 'class name "road" is given twice (at 0 and 2)',
    });
    expect(() => checkClassNames(["road", "road"])).toThrow(expect.objectContaining({ code: "segment.duplicate-class-name", kind: "invalid" }));
  });

  it("leaves a list that is no list of strings to zod's own issues (no class-list code)", () => {
    const result = ClassNamesSchema.safeParse(["sky", 3]);
    expect(result.success).toBe(false);
    expect(errorOfIssues(result.error!.issues)).toBeUndefined();
  });
});

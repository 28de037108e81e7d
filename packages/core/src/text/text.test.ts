import { describe, expect, it } from "vitest";
import { z } from "zod";
import { findUnstorableText, storableJson, text, textProblem } from "./text.js";

describe("textProblem: what PostgreSQL's UTF-8 text and jsonb refuse", () => {
  it("names a NUL and a lone surrogate (high or low) by index; well-formed text passes", () => {
    expect(textProblem("fog\u0000night")).toBe("contains a NUL character (U+0000) at index 3");
    expect(textProblem("ab\ud800")).toBe("is not well-formed Unicode (a lone UTF-16 surrogate at index 2)");
    expect(textProblem("\udc00ab")).toBe("is not well-formed Unicode (a lone UTF-16 surrogate at index 0)");
    expect(textProblem("\udc00\ud800")).toBe("is not well-formed Unicode (a lone UTF-16 surrogate at index 0)");
    for (const fine of ["", "fog+night", "alps 🏔", "\u0001\u007f\uffff", "é\ud83c\udfd4"]) expect(textProblem(fine), JSON.stringify(fine)).toBeUndefined();
  });
});

describe("text(): the string schema of every request field", () => {
  it("refuses NUL and lone surrogates with an issue at the field's path", () => {
    const schema = z.object({ libraries: z.array(z.object({ name: text().min(1) })) });
    expect(schema.safeParse({ libraries: [{ name: "a" }, { name: "b\u0000" }] }).error?.issues).toEqual([
      { code: "custom", message: "contains a NUL character (U+0000) at index 1, which cannot be stored", path: ["libraries", 1, "name"], params: { rule: "storable-text" } },
    ]);
    expect(text().safeParse("\ud800").success).toBe(false);
  });

  it("keeps z.string()'s own checks and output", () => {
    expect(text().min(2).safeParse("a").error?.issues[0]?.code).toBe("too_small");
    expect(text().max(3).parse("abc")).toBe("abc");
  });
});

describe("findUnstorableText and storableJson: every key and string of a JSON value", () => {
  it("finds the first bad key or string with its path", () => {
    expect(findUnstorableText({ a: [1, "ok", { b: "x\u0000" }] })).toEqual({ path: ["a", 2, "b"], problem: "contains a NUL character (U+0000) at index 1" });
    expect(findUnstorableText({ ok: 1, ["k\ud800"]: 2 })).toEqual({ path: ["k\ud800"], problem: "key is not well-formed Unicode (a lone UTF-16 surrogate at index 1)" });
    expect(findUnstorableText({ a: [1, null, true, "🏔"] })).toBeUndefined();
  });

  it("walks a value nested 100,000 deep without overflowing the stack", () => {
    let deep: unknown = "\u0000";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)?.path).toHaveLength(100_000);
  });

  it("storableJson refuses with the issue at the bad value's path", () => {
    const schema = z.object({ config: storableJson(z.record(z.string(), z.unknown())) });
    expect(schema.safeParse({ config: { task_type: "SEG\u0000" } }).error?.issues.map((i) => i.path)).toEqual([["config", "task_type"]]);
    expect(schema.parse({ config: { task_type: "SEG" } })).toEqual({ config: { task_type: "SEG" } });
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SemlaError } from "../errors.js";
import { errorOfIssues, issueOf } from "./issues.js";

describe("coded issues: a schema rule that answers with its own code", () => {
  const refusal = new SemlaError("segment.duplicate-class-name", 'class name "road" is given twice (at 0 and 1)', { name: "road" });
  const Schema = z.object({
    k: z.number().max(3),
    names: z.array(z.string()).superRefine((names, ctx) => {
      if (new Set(names).size !== names.length) ctx.addIssue(issueOf(refusal));
    }),
  });

  it("carries the error through zod, nested at any depth, to the edge that parses it", () => {
    const result = Schema.safeParse({ k: 9, names: ["road", "road"] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["k", "Too big: expected number to be <=3"],
      ["names", 'class name "road" is given twice (at 0 and 1)'],
    ]);
    expect(errorOfIssues(result.error!.issues)).toBe(refusal);
  });

  it("finds none among zod's own issues", () => {
    const result = Schema.safeParse({ k: 9, names: ["road"] });
    expect(errorOfIssues(result.error!.issues)).toBeUndefined();
    expect(errorOfIssues([{ code: "custom", params: { error: "not an error" } }])).toBeUndefined();
  });
});

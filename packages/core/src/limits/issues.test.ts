import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SemlaError } from "../errors.js";
import { describeIssues, errorOfIssues, issueList, issueOf } from "./issues.js";

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

describe("describeIssues: zod's failures on one line", () => {
  const Schema = z.strictObject({ k: z.number().max(3), exclude: z.array(z.string().max(2)) }).refine((v) => v.k !== 2, "k 2 is taken");
  const issues = Schema.safeParse({ k: 9, exclude: ["abc"], topK: 1 }).error!.issues;

  it("names each issue by its dotted path, the input itself by `whole` or not at all", () => {
    expect(describeIssues(issues)).toBe('k: Too big: expected number to be <=3; exclude.0: Too big: expected string to have <=2 characters; Unrecognized key: "topK"');
    expect(describeIssues(issues, { whole: "options" })).toMatch(/; options: Unrecognized key: "topK"$/);
    expect(describeIssues(Schema.safeParse({ k: 2, exclude: [] }).error!.issues, { whole: "options" })).toBe("options: k 2 is taken");
  });

  it("puts a prefix before paths (command-line flags), and lists them for error details", () => {
    expect(describeIssues(issues, { prefix: "--" })).toMatch(/^--k: Too big.*; --exclude\.0: Too big.*; Unrecognized key/);
    expect(issueList(issues).map((i) => i.path)).toEqual(["k", "exclude.0", ""]);
  });
});

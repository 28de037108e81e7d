import { RE2JS } from "re2js";
import { describe, expect, it, vi } from "vitest";
import { LIMITS } from "../../limits/limits.js";
import { compilePeftPatterns, isTargetModule, loraScaling, moduleRankAndAlpha, peftPatterns } from "./patterns.js";

const Q = "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.3.attn.q_proj";

describe("PEFT module matching", () => {
  it("list target_modules match a whole name or its trailing dotted components", () => {
    expect(isTargetModule({ target_modules: ["q_proj"] }, Q)).toBe(true);
    expect(isTargetModule({ target_modules: ["attn.q_proj"] }, Q)).toBe(true);
    expect(isTargetModule({ target_modules: ["proj"] }, Q)).toBe(false);
    expect(isTargetModule({ target_modules: [Q] }, Q)).toBe(true);
  });

  it("a string target_modules is a regex over the whole name (re.fullmatch)", () => {
    expect(isTargetModule({ target_modules: ".*resblocks\\.3\\.attn\\.(q|v)_proj" }, Q)).toBe(true);
    expect(isTargetModule({ target_modules: "resblocks\\.3\\.attn\\.q_proj" }, Q)).toBe(false);
    expect(() => isTargetModule({ target_modules: "(" }, Q)).toThrow(expect.objectContaining({ code: "adapter.pattern" }));
  });

  it("rank_pattern and alpha_pattern keys match (.*\\.)?key$ and the first listed key wins", () => {
    const config = { r: 8, lora_alpha: 16, rank_pattern: { "resblocks.3.attn.q_proj": 4, q_proj: 2 }, alpha_pattern: { "attn\\.q_proj": 32 } };
    expect(moduleRankAndAlpha(config, Q)).toEqual({ rank: 4, alpha: 32 });
    expect(moduleRankAndAlpha(config, "x.k_proj")).toEqual({ rank: 8, alpha: 16 });
    // "q_proj" must match whole dotted components: "xq_proj" is not matched.
    expect(moduleRankAndAlpha({ ...config, rank_pattern: { q_proj: 2 } }, "a.xq_proj")).toEqual({ rank: 8, alpha: 16 });
  });

  it("scaling is alpha/r, or alpha/√r with rsLoRA", () => {
    expect(loraScaling(16, 8, false)).toBe(2);
    expect(loraScaling(16, 4, true)).toBe(8);
  });

  it("a string target_modules may bring in alternatives: the whole name must match one (re.fullmatch)", () => {
    expect(isTargetModule({ target_modules: "x|.*q_proj" }, Q)).toBe(true);
    expect(isTargetModule({ target_modules: "q_proj|.*resblocks" }, Q)).toBe(false);
  });
});

/** The error a call throws (the test fails when it throws none). */
function refusal(f: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    f();
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error("expected adapter.pattern");
}

// The hostile pattern of issue 11: on a backtracking engine each of these pinned a CPU for good (the
// non-matching one) or for hundreds of ms per call (the matching one). Here they must simply return:
// vitest's timeout catches a hang.
const HOSTILE = "(?:[a-z_.]+)+Y";
const HOSTILE_MATCHING = "(?:[a-z0-9_.]+)+q_proj";
const LONG = `${"sem_seg_head.predictor.clip_model.visual.transformer.".repeat(8)}resblocks.3.attn.q_proj`;

describe("PEFT patterns run in linear time (RE2)", () => {
  it("a catastrophic target_modules regex answers at once, matching or not", () => {
    expect(isTargetModule({ target_modules: HOSTILE }, LONG)).toBe(false);
    expect(isTargetModule({ target_modules: HOSTILE }, `${"sem_seg_head.predictor.".repeat(20)}Y`)).toBe(true);
    expect(isTargetModule({ target_modules: HOSTILE_MATCHING }, LONG)).toBe(true);
    expect(isTargetModule({ target_modules: "(a*)*b" }, "a".repeat(5000))).toBe(false);
  });

  it("catastrophic rank_pattern and alpha_pattern keys answer at once", () => {
    const config = { r: 8, lora_alpha: 16, rank_pattern: { [HOSTILE]: 2, [HOSTILE_MATCHING]: 4 }, alpha_pattern: { "(?:(?:a|aa)+)+b": 1, "(?:[a-z_]+\\.?)+q_proj": 32 } };
    expect(moduleRankAndAlpha(config, LONG)).toEqual({ rank: 4, alpha: 32 });
    expect(moduleRankAndAlpha(config, `x.${"a".repeat(5000)}`)).toEqual({ rank: 8, alpha: 16 });
  });

  it("compiles each pattern once per config, however many modules are matched", () => {
    const compile = vi.spyOn(RE2JS, "compile");
    try {
      const config = { target_modules: ".*_proj", r: 8, lora_alpha: 16, rank_pattern: { q_proj: 4, k_proj: 2 }, alpha_pattern: { v_proj: 8 } };
      for (let i = 0; i < 50; i++) {
        const module = `blocks.${i}.attn.${["q", "k", "v"][i % 3]}_proj`;
        expect(isTargetModule(config, module)).toBe(true);
        moduleRankAndAlpha(config, module);
      }
      expect(compile).toHaveBeenCalledTimes(4);
      expect(peftPatterns(config)).toBe(peftPatterns(config));
    } finally {
      compile.mockRestore();
    }
  });

  it.each([
    ["a{1000000000}", "repeat count {1000000000} is over RE2's limit of 1000"],
    ["(", "not a valid regular expression: missing closing ): ("],
    ["q_proj[", "not a valid regular expression: missing closing ]: ["],
    ["a**", "not a valid regular expression: invalid nested repetition operator: **"],
    ["(?=.*q)q_proj", "lookahead ((?=…) is not supported: patterns run on a linear-time (RE2) engine, which cannot look around"],
    ["^(?!.*vision).*q_proj", "negative lookahead ((?!…) is not supported: patterns run on a linear-time (RE2) engine, which cannot look around"],
    ["(?<=attn\\.)q_proj", "lookbehind ((?<=…) is not supported: patterns run on a linear-time (RE2) engine, which cannot look around"],
    ["(?<!x)q_proj", "negative lookbehind ((?<!…) is not supported: patterns run on a linear-time (RE2) engine, which cannot look around"],
    ["(q)_proj\\1", "backreferences (\\1, (?P=name)) are not supported: patterns run on a linear-time (RE2) engine, which cannot refer back to a group"],
    ["(?P<p>q)_(?P=p)", "backreferences (\\1, (?P=name)) are not supported: patterns run on a linear-time (RE2) engine, which cannot refer back to a group"],
    ["(?>q_)proj", "atomic groups ((?>…)) are not supported: patterns run on a linear-time (RE2) engine"],
    ["q_pro++j", "possessive quantifiers (++) are not supported: patterns run on a linear-time (RE2) engine"],
    ["q_proj.{,3}", "write {,3} as {0,3}: RE2 reads it as text where Python (PEFT) reads a repeat"],
  ])("refuses target_modules %j with a 400 naming the field, the pattern and why: %s", (pattern, reason) => {
    const error = refusal(() => compilePeftPatterns({ target_modules: pattern }));
    expect(error).toMatchObject({ code: "adapter.pattern", kind: "invalid", details: { rule: "pattern", field: "target_modules", pattern, reason } });
    expect(error.message).toBe(`target_modules pattern ${JSON.stringify(pattern)} is refused: ${reason}`);
  });

  it("refuses a bad rank_pattern or alpha_pattern key, naming its field and the key", () => {
    expect(refusal(() => compilePeftPatterns({ rank_pattern: { q_proj: 2, "(a)\\1": 4 } }))).toMatchObject({
      code: "adapter.pattern",
      details: { field: "rank_pattern", pattern: "(a)\\1", reason: expect.stringMatching(/^backreferences/) },
    });
    expect(refusal(() => compilePeftPatterns({ alpha_pattern: { "x{2000}": 4 } }))).toMatchObject({
      code: "adapter.pattern",
      details: { field: "alpha_pattern", pattern: "x{2000}", reason: "repeat count {2000} is over RE2's limit of 1000" },
    });
    // PEFT pastes the key into (.*\.)?(key)$: an unbalanced key is reported as the key, not that text.
    expect(refusal(() => compilePeftPatterns({ rank_pattern: { "q_proj)": 4 } })).details).toMatchObject({ pattern: "q_proj)", reason: "not a valid regular expression: unexpected )" });
  });

  it("bounds pattern length, key count and program size by LIMITS", () => {
    const long = `${"a".repeat(LIMITS.patternLength)}b`;
    expect(refusal(() => compilePeftPatterns({ target_modules: long }))).toMatchObject({
      code: "adapter.pattern",
      details: { field: "target_modules", reason: `it is ${LIMITS.patternLength + 1} characters long, over the limit of ${LIMITS.patternLength}`, limit: LIMITS.patternLength },
    });
    const many = Object.fromEntries(Array.from({ length: LIMITS.patternKeys + 1 }, (_, i) => [`m${i}`, 2]));
    expect(refusal(() => compilePeftPatterns({ rank_pattern: many }))).toMatchObject({
      code: "adapter.pattern",
      details: { field: "rank_pattern", keys: LIMITS.patternKeys + 1, limit: LIMITS.patternKeys },
    });
    // Each key alone is fine (a{1000} is 1,002 instructions); together they are over the budget.
    const heavy = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`a{1000}${i}`, 2]));
    const error = refusal(() => compilePeftPatterns({ target_modules: ".*", alpha_pattern: heavy }));
    expect(error).toMatchObject({ code: "adapter.pattern", details: { field: "alpha_pattern", limit: LIMITS.patternProgram } });
    expect(error.details.programSize).toBeGreaterThan(LIMITS.patternProgram);
    expect(compilePeftPatterns({ target_modules: "a{1000}" }).programSize).toBeLessThan(LIMITS.patternProgram);
  });

  it("refuses to match more module-name characters × program size than LIMITS.patternWork", () => {
    const patterns = compilePeftPatterns({ target_modules: "a{1000}", rank_pattern: { q_proj: 2 } });
    const perName = Math.floor(LIMITS.patternWork / patterns.programSize / 100);
    const names = (count: number) => Array.from({ length: count }, (_, i) => `${"m".repeat(96)}.${String(i).padStart(3, "0")}`);
    expect(() => patterns.checkMatchWork(names(perName))).not.toThrow();
    const error = refusal(() => patterns.checkMatchWork(names(perName + 1)));
    expect(error).toMatchObject({
      code: "adapter.pattern",
      details: { fields: ["target_modules", "rank_pattern"], modules: perName + 1, characters: (perName + 1) * 100, programSize: patterns.programSize, limit: LIMITS.patternWork },
    });
    // Without regexes (list target_modules, no pattern keys) there is nothing to bound.
    expect(() => compilePeftPatterns({ target_modules: ["q_proj"] }).checkMatchWork(names(100_000))).not.toThrow();
  });
});

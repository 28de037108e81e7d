import { describe, expect, it } from "vitest";
import { isTargetModule, loraScaling, moduleRankAndAlpha } from "./patterns.js";

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
});

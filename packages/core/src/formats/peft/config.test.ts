import { describe, expect, it } from "vitest";
import { parsePeftConfig } from "./config.js";

const minimal = { peft_type: "LORA", r: 8, lora_alpha: 16, target_modules: ["q_proj", "v_proj"] };

describe("adapter_config.json", () => {
  it("parses PEFT's fields with PEFT's defaults and keeps unknown keys", () => {
    const config = parsePeftConfig(JSON.stringify({ ...minimal, task_type: null, lora_dropout: 0.1 }));
    expect(config).toMatchObject({
      r: 8,
      lora_alpha: 16,
      use_rslora: false,
      fan_in_fan_out: false,
      base_model_name_or_path: null,
      rank_pattern: {},
      alpha_pattern: {},
      lora_dropout: 0.1,
      task_type: null,
    });
  });

  it("accepts target_modules as a regex string, bytes as input, and null patterns as empty", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...minimal, target_modules: ".*\\.(q|v)_proj", rank_pattern: null, alpha_pattern: null }));
    const config = parsePeftConfig(bytes);
    expect(config.target_modules).toBe(".*\\.(q|v)_proj");
    expect(config.rank_pattern).toEqual({});
  });

  it.each([
    [{ peft_type: "LOHA" }, "unsupported-kind", /peft_type "LOHA" is not supported/],
    [{ use_dora: true }, "unsupported-kind", /DoRA/],
    [{ bias: "lora_only" }, "unsupported-kind", /bias "lora_only"/],
    [{ lora_bias: true }, "unsupported-kind", /LoRA bias/],
    [{ modules_to_save: ["classifier"] }, "unsupported-kind", /modules_to_save/],
    [{ r: 0 }, "config-invalid", /^adapter_config.json: r: /],
    [{ r: 2.5 }, "config-invalid", /r: /],
    [{ target_modules: [] }, "config-invalid", /target_modules/],
    [{ rank_pattern: { q_proj: -1 } }, "config-invalid", /rank_pattern\.q_proj/],
  ])("refuses %j as %s", (patch, rule, message) => {
    expect(() => parsePeftConfig({ ...minimal, ...patch })).toThrow(expect.objectContaining({ code: `adapter.${rule}`, message: expect.stringMatching(message) }));
  });

  it("refuses text that is not JSON", () => {
    expect(() => parsePeftConfig("{r: 8")).toThrow(expect.objectContaining({ code: "adapter.config-json" }));
  });

  it("refuses a config without r", () => {
    const { r: _r, ...rest } = minimal;
    expect(() => parsePeftConfig(rest)).toThrow(expect.objectContaining({ code: "adapter.config-invalid", message: expect.stringMatching(/\br: /) }));
  });
});

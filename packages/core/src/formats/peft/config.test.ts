import { describe, expect, it } from "vitest";
import { LIMITS } from "../../limits/limits.js";
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
    [{ rank_pattern: { q_proj: 1.5 } }, "config-invalid", /rank_pattern\.q_proj: a rank_pattern rank must be a positive integer/],
    [{ lora_alpha: -16 }, "config-invalid", /^adapter_config.json: lora_alpha: lora_alpha must be a positive number/],
    [{ lora_alpha: 0 }, "config-invalid", /lora_alpha: lora_alpha must be a positive number/],
    [{ lora_alpha: Number.POSITIVE_INFINITY }, "config-invalid", /lora_alpha: /],
    [{ lora_alpha: Number.NaN }, "config-invalid", /lora_alpha: /],
    [{ alpha_pattern: { q_proj: -32 } }, "config-invalid", /alpha_pattern\.q_proj: an alpha_pattern alpha must be a positive number/],
    [{ alpha_pattern: { q_proj: 0 } }, "config-invalid", /alpha_pattern\.q_proj: /],
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

  it("refuses a negative lora_alpha read from the file, naming the field", () => {
    const error = catchError(() => parsePeftConfig(JSON.stringify({ ...minimal, lora_alpha: -16 })));
    expect(error).toMatchObject({ code: "adapter.config-invalid", kind: "invalid" });
    expect(error.details.issues).toEqual([{ path: "lora_alpha", message: "lora_alpha must be a positive number (the update is scaled by alpha / r)" }]);
  });

  it("refuses a config nested deeper than LIMITS.configDepth, as text and as a value, without overflowing the stack", () => {
    const deepText = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const text = `{"peft_type":"LORA","r":8,"lora_alpha":16,"target_modules":["q_proj"],"extra":${deepText}}`;
    expect(catchError(() => parsePeftConfig(text))).toMatchObject({
      code: "adapter.config-too-deep",
      kind: "invalid",
      details: { rule: "config-too-deep", depth: LIMITS.configDepth + 1, limit: LIMITS.configDepth },
    });
    expect(catchError(() => parsePeftConfig({ ...minimal, extra: JSON.parse(deepText) }))).toMatchObject({ code: "adapter.config-too-deep", details: { depth: LIMITS.configDepth + 1 } });
    // Brackets inside strings are not nesting.
    expect(parsePeftConfig({ ...minimal, note: "{".repeat(1000) }).r).toBe(8);
    const atLimit = `${'{"a":'.repeat(LIMITS.configDepth - 1)}1${"}".repeat(LIMITS.configDepth - 1)}`;
    expect(parsePeftConfig(`{"peft_type":"LORA","r":8,"lora_alpha":16,"target_modules":["q_proj"],"extra":${atLimit}}`).r).toBe(8);
  });

  it("refuses a config over LIMITS.configBytes as text, bytes or a value (413)", () => {
    const big = { ...minimal, note: "x".repeat(LIMITS.configBytes) };
    const bytes = JSON.stringify(big).length;
    for (const input of [JSON.stringify(big), new TextEncoder().encode(JSON.stringify(big)), big]) {
      expect(catchError(() => parsePeftConfig(input))).toMatchObject({ code: "adapter.config-too-large", kind: "too-large", details: { bytes, limit: LIMITS.configBytes } });
    }
  });

  it("compiles and checks the patterns as part of parsing: a bad one is adapter.pattern before anything else uses the config", () => {
    expect(catchError(() => parsePeftConfig({ ...minimal, target_modules: "a{1000000000}" }))).toMatchObject({
      code: "adapter.pattern",
      details: { field: "target_modules", pattern: "a{1000000000}", reason: "repeat count {1000000000} is over RE2's limit of 1000" },
    });
    expect(catchError(() => parsePeftConfig({ ...minimal, alpha_pattern: { "(?=q)q_proj": 4 } }))).toMatchObject({
      code: "adapter.pattern",
      details: { field: "alpha_pattern", pattern: "(?=q)q_proj" },
    });
  });

  it("returns a config it parsed as it is (patterns compiled once)", () => {
    const config = parsePeftConfig({ ...minimal, target_modules: ".*q_proj" });
    expect(parsePeftConfig(config)).toBe(config);
    expect(parsePeftConfig({ ...config })).not.toBe(config);
  });
});

function catchError(f: () => unknown): Error & { code: string; kind: string; details: Record<string, unknown> } {
  try {
    f();
  } catch (error) {
    return error as Error & { code: string; kind: string; details: Record<string, unknown> };
  }
  throw new Error("expected an error");
}

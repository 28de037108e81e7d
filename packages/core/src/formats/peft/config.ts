import { z } from "zod";
import { describeIssues, issueList } from "../../limits/issues.js";
import { LIMITS } from "../../limits/limits.js";
import { jsonTextDepth, jsonValueDepth } from "../json/depth.js";
import { AdapterFormatError } from "./errors.js";
import { peftPatterns } from "./patterns.js";

const RANK = "a rank_pattern rank must be a positive integer";

/**
 * `adapter_config.json` of a PEFT LoRA adapter. Unknown keys are kept (PEFT has many that do not
 * change the weights: task_type, lora_dropout, layers_to_transform, ...) so a round trip loses nothing.
 * Adapter kinds the fusion math does not cover are refused rather than silently mis-served.
 */
export const PeftLoraConfigSchema = z
  .looseObject({
    peft_type: z.string(),
    r: z.number().int().positive(),
    // LoRA scales each update by alpha / r: zero silences the adapter, a negative alpha inverts it.
    lora_alpha: z.number().finite().positive({ message: "lora_alpha must be a positive number (the update is scaled by alpha / r)" }),
    target_modules: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
    use_rslora: z.boolean().default(false),
    fan_in_fan_out: z.boolean().default(false),
    base_model_name_or_path: z.string().nullable().default(null),
    rank_pattern: z
      .record(z.string(), z.number().int({ message: RANK }).positive({ message: RANK }))
      .nullable()
      .default({})
      .transform((v) => v ?? {}),
    alpha_pattern: z
      .record(z.string(), z.number().finite().positive({ message: "an alpha_pattern alpha must be a positive number (the update is scaled by alpha / r)" }))
      .nullable()
      .default({})
      .transform((v) => v ?? {}),
    use_dora: z.boolean().default(false),
    bias: z.string().default("none"),
    lora_bias: z.boolean().default(false),
    modules_to_save: z.array(z.string()).nullable().default(null),
  })
  .superRefine((config, ctx) => {
    const refuse = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (config.peft_type !== "LORA") refuse("peft_type", `peft_type ${JSON.stringify(config.peft_type)} is not supported: only LORA adapters can be fused`);
    if (config.use_dora) refuse("use_dora", "DoRA adapters (use_dora: true) are not supported: their magnitude vector does not fuse linearly");
    if (config.bias !== "none") refuse("bias", `bias ${JSON.stringify(config.bias)} is not supported: only bias "none" adapters can be fused`);
    if (config.lora_bias) refuse("lora_bias", "LoRA bias (lora_bias: true) is not supported");
    if (config.modules_to_save && config.modules_to_save.length > 0) {
      refuse("modules_to_save", "modules_to_save is not supported: fully trained modules cannot be fused as low-rank updates");
    }
  });

export type PeftLoraConfig = z.output<typeof PeftLoraConfigSchema>;
export type PeftLoraConfigInput = z.input<typeof PeftLoraConfigSchema>;

// Configs this module produced: parsing one again (a route that checks early, then the registry)
// returns it as it is, its patterns already compiled.
const parsed = new WeakSet<object>();

function tooDeep(depth: number): never {
  throw new AdapterFormatError("config-too-deep", `adapter_config.json nests deeper than ${LIMITS.configDepth} levels`, { depth, limit: LIMITS.configDepth });
}

function tooLarge(bytes: number): never {
  throw new AdapterFormatError("config-too-large", `adapter_config.json is ${bytes} bytes, over the limit of ${LIMITS.configBytes}`, { bytes, limit: LIMITS.configBytes });
}

/**
 * Parses `adapter_config.json` given as text, bytes or an already-parsed value: the one check every
 * way a config comes in goes through (size, nesting, schema, then every pattern compiled within
 * LIMITS), so a config is refused before anything is stored.
 */
export function parsePeftConfig(input: string | Uint8Array | unknown): PeftLoraConfig {
  if (typeof input === "object" && input !== null && parsed.has(input)) return input as PeftLoraConfig;
  let value: unknown = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const bytes = typeof input === "string" ? new TextEncoder().encode(input).byteLength : input.byteLength;
    if (bytes > LIMITS.configBytes) tooLarge(bytes);
    const text = typeof input === "string" ? input : new TextDecoder().decode(input);
    const depth = jsonTextDepth(text, LIMITS.configDepth);
    if (depth > LIMITS.configDepth) tooDeep(depth);
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new AdapterFormatError("config-json", `adapter_config.json is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const depth = jsonValueDepth(input, LIMITS.configDepth);
    if (depth > LIMITS.configDepth) tooDeep(depth);
    // Within the depth limit, serialising cannot overflow the stack.
    const bytes = new TextEncoder().encode(JSON.stringify(input) ?? "").byteLength;
    if (bytes > LIMITS.configBytes) tooLarge(bytes);
  }
  const result = PeftLoraConfigSchema.safeParse(value);
  if (!result.success) {
    const issues = issueList(result.error.issues);
    const kindIssue = issues.find((i) => ["peft_type", "use_dora", "bias", "lora_bias", "modules_to_save"].includes(i.path));
    throw new AdapterFormatError(kindIssue ? "unsupported-kind" : "config-invalid", `adapter_config.json: ${describeIssues(result.error.issues)}`, { issues });
  }
  peftPatterns(result.data);
  parsed.add(result.data);
  return result.data;
}

/**
 * The adapter_config.json PEFT writes for a plain LoRA (no patterns, DoRA or bias), from its rank,
 * alpha and target modules. Full module names: last components such as "0" would make PEFT inject
 * LoRA into unrelated modules.
 */
export function plainLoraConfig(options: { rank: number; alpha: number; targetModules: readonly string[]; baseModel?: string | null; useRslora?: boolean }): PeftLoraConfig {
  return {
    peft_type: "LORA",
    task_type: null,
    r: options.rank,
    lora_alpha: options.alpha,
    lora_dropout: 0,
    target_modules: [...options.targetModules],
    use_rslora: options.useRslora ?? false,
    fan_in_fan_out: false,
    base_model_name_or_path: options.baseModel ?? null,
    rank_pattern: {},
    alpha_pattern: {},
    use_dora: false,
    bias: "none",
    lora_bias: false,
    modules_to_save: null,
  };
}

import { AdapterFormatError } from "./errors.js";

/** PEFT writes adapter weights as `base_model.model.<module>.lora_{A,B}.weight`. */
export const PEFT_PREFIX = "base_model.model.";

export type LoraTensorRole = "A" | "B";

export function loraTensorName(module: string, role: LoraTensorRole): string {
  return `${PEFT_PREFIX}${module}.lora_${role}.weight`;
}

/** Refused tensor kinds, recognised so the error can say what the adapter is. */
const UNSUPPORTED: ReadonlyArray<readonly [RegExp, string]> = [
  [/\.lora_magnitude_vector(\.[^.]+)?(\.weight)?$/, "DoRA (lora_magnitude_vector)"],
  [/\.lora_embedding_[AB](\.[^.]+)?$/, "LoRA on embedding layers (lora_embedding_A/B)"],
  [/\.lora_B(\.[^.]+)?\.bias$/, "LoRA bias (lora_B.bias)"],
];

/** Splits a tensor name into module and role, or refuses it naming what it is. */
export function classifyTensorName(tensorName: string): { module: string; role: LoraTensorRole } {
  const name = tensorName.startsWith(PEFT_PREFIX) ? tensorName.slice(PEFT_PREFIX.length) : tensorName;
  const match = /^(.+)\.lora_([AB])(?:\.default)?\.weight$/.exec(name);
  if (match) return { module: match[1] as string, role: match[2] as LoraTensorRole };
  for (const [pattern, kind] of UNSUPPORTED) {
    if (pattern.test(name)) {
      throw new AdapterFormatError("unsupported-kind", `tensor ${tensorName}: ${kind} is not supported`, { tensor: tensorName });
    }
  }
  throw new AdapterFormatError("unknown-tensor", `tensor ${tensorName} is not a LoRA weight (expected <module>.lora_A.weight or <module>.lora_B.weight; modules_to_save weights are not supported)`, {
    tensor: tensorName,
  });
}

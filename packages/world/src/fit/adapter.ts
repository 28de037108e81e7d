import { peft, type LoraAdapter } from "@semla/core";

/**
 * A one-module PEFT LoRA adapter from fitted factors (ΔW = B·A: lora_alpha = r, so scaling is 1),
 * with the config fields PEFT writes, so the files load in PEFT as they do here.
 */
export function singleModuleAdapter(
  module: { name: string; inFeatures: number; outFeatures: number },
  factors: { a: Float32Array; b: Float32Array; rank: number },
  baseModel: string,
): LoraAdapter {
  const { rank } = factors;
  const config: peft.PeftLoraConfig = {
    peft_type: "LORA",
    task_type: null,
    r: rank,
    lora_alpha: rank,
    lora_dropout: 0,
    target_modules: [module.name],
    use_rslora: false,
    fan_in_fan_out: false,
    base_model_name_or_path: baseModel,
    rank_pattern: {},
    alpha_pattern: {},
    use_dora: false,
    bias: "none",
    lora_bias: false,
    modules_to_save: null,
  };
  return { config, modules: [{ ...module, rank, alpha: rank, scaling: 1, a: factors.a, b: factors.b }] };
}

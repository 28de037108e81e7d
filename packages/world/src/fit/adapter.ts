import { type LoraAdapter, peft } from "@semla/core";

/**
 * A one-module PEFT LoRA adapter from fitted factors (ΔW = B·A: lora_alpha = r, so scaling is 1),
 * with the config PEFT writes, so the files load in PEFT as they do here.
 */
export function singleModuleAdapter(module: { name: string; inFeatures: number; outFeatures: number }, factors: { a: Float32Array; b: Float32Array; rank: number }, baseModel: string): LoraAdapter {
  const { rank } = factors;
  const config = peft.plainLoraConfig({ rank, alpha: rank, targetModules: [module.name], baseModel });
  return { config, modules: [{ ...module, rank, alpha: rank, scaling: 1, a: factors.a, b: factors.b }] };
}

import type { PeftLoraConfig } from "../formats/peft/config.js";
import type { LoraAdapter } from "../lora/adapter.js";

/**
 * Config of a fused adapter, as PEFT's add_weighted_adapter makes it: the first adapter's config
 * with r = lora_alpha = the new rank (scaling 1: the weights and scalings are already in the
 * factors), no rank/alpha patterns, and target_modules the union of the inputs'.
 * rsLoRA is switched off: with it, lora_alpha = r would give scaling √r instead of 1.
 */
export function fusedConfig(adapters: readonly LoraAdapter[], rank: number, moduleNames: readonly string[]): PeftLoraConfig {
  const first = adapters[0]!.config;
  return {
    ...first,
    r: rank,
    lora_alpha: rank,
    use_rslora: false,
    rank_pattern: {},
    alpha_pattern: {},
    target_modules: unionTargets(adapters, moduleNames),
  };
}

function unionTargets(adapters: readonly LoraAdapter[], moduleNames: readonly string[]): PeftLoraConfig["target_modules"] {
  const targets = adapters.map((a) => a.config.target_modules);
  if (targets.every((t): t is string[] => Array.isArray(t))) return [...new Set(targets.flat())].sort();
  if (targets.every((t): t is string => typeof t === "string")) {
    const distinct = [...new Set(targets)];
    return distinct.length === 1 ? distinct[0]! : distinct.map((t) => `(${t})`).join("|");
  }
  // A mix of lists and regexes has no faithful union; the fused modules' own names always match.
  return [...moduleNames];
}

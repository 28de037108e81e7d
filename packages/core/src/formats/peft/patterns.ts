import type { PeftLoraConfig } from "./config.js";
import { AdapterFormatError } from "./errors.js";

/**
 * PEFT's module matching rules, so an adapter means here what it means to PEFT:
 * - target_modules as a string is a regex that must match the whole module name (re.fullmatch);
 *   as a list, an entry matches the name itself or its last dotted components.
 * - rank_pattern / alpha_pattern keys are regexes matched as `(.*\.)?(key)$` from the start
 *   (PEFT's get_pattern_key); the first key in insertion order wins.
 */
function compile(source: string, what: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new AdapterFormatError("pattern", `${what} ${JSON.stringify(source)} is not a valid regular expression: ${(error as Error).message}`);
  }
}

export function isTargetModule(config: Pick<PeftLoraConfig, "target_modules">, module: string): boolean {
  const targets = config.target_modules;
  if (typeof targets === "string") return compile(`^(?:${targets})$`, "target_modules").test(module);
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

function patternKey(patterns: Readonly<Record<string, number>>, module: string, what: string): string | undefined {
  for (const key of Object.keys(patterns)) {
    if (compile(`^(?:.*\\.)?(?:${key})$`, what).test(module)) return key;
  }
  return undefined;
}

/** Rank and alpha PEFT gives `module` under `config`. */
export function moduleRankAndAlpha(
  config: Pick<PeftLoraConfig, "r" | "lora_alpha" | "rank_pattern" | "alpha_pattern">,
  module: string,
): { rank: number; alpha: number } {
  const rankKey = patternKey(config.rank_pattern, module, "rank_pattern key");
  const alphaKey = patternKey(config.alpha_pattern, module, "alpha_pattern key");
  return {
    rank: rankKey === undefined ? config.r : (config.rank_pattern[rankKey] as number),
    alpha: alphaKey === undefined ? config.lora_alpha : (config.alpha_pattern[alphaKey] as number),
  };
}

/** LoRA scaling: alpha / r, or alpha / √r with rank-stabilised LoRA (rsLoRA). */
export function loraScaling(alpha: number, rank: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

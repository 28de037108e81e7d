// Patterns run on re2js (RE2's linear-time automata, pure JavaScript: no native build, bundles with
// esbuild for the API function and the endpoint) and not on JavaScript's backtracking RegExp: a
// config is tenant input, and `(?:[a-z_.]+)+Y` as target_modules kept RegExp at 100% CPU for good.
// RE2 runs in time linear in the name for a given program; the constructs that need backtracking
// (lookaround, backreferences, atomic groups, possessive quantifiers) it refuses, and so do we (400).
import { RE2JS, RE2JSSyntaxException } from "re2js";
import { LIMITS } from "../../limits/limits.js";
import type { PeftLoraConfig } from "./config.js";
import { AdapterFormatError } from "./errors.js";

/**
 * PEFT's module matching rules, so an adapter means here what it means to PEFT:
 * - target_modules as a string is a regex that must match the whole module name (re.fullmatch);
 *   as a list, an entry matches the name itself or its last dotted components.
 * - rank_pattern / alpha_pattern keys are regexes matched as `(.*\.)?(key)$` from the start
 *   (PEFT's get_pattern_key, the key pasted in as text); the first key in insertion order wins.
 */
export type PatternField = "target_modules" | "rank_pattern" | "alpha_pattern";

type PatternRecord = Readonly<Record<string, number>>;

/** The pattern-bearing fields of a config (each optional, so one can be matched on its own). */
export interface PatternFields {
  readonly target_modules?: PeftLoraConfig["target_modules"];
  readonly rank_pattern?: PatternRecord;
  readonly alpha_pattern?: PatternRecord;
}

/** A config's patterns, compiled once and checked against LIMITS. */
export interface PeftPatterns {
  /** Whether target_modules selects `module` (PEFT's check_target_module_exists). */
  isTarget(module: string): boolean;
  /** The first rank_pattern key that matches `module`, if any. */
  rankKey(module: string): string | undefined;
  /** The first alpha_pattern key that matches `module`, if any. */
  alphaKey(module: string): string | undefined;
  /** RE2 program size of all the patterns (instructions). */
  readonly programSize: number;
  /**
   * Refuses to match `modules` when the worst case would cost more than LIMITS.patternWork (name
   * characters × program size): call it before matching an adapter's modules.
   */
  checkMatchWork(modules: Iterable<string>): void;
}

function refuse(field: PatternField, pattern: string, reason: string, extra: Record<string, unknown> = {}): never {
  throw new AdapterFormatError("pattern", `${field} pattern ${JSON.stringify(pattern)} is refused: ${reason}`, { field, pattern, reason, ...extra });
}

const LOOKAROUND: Readonly<Record<string, string>> = { "(?=": "lookahead", "(?!": "negative lookahead", "(?<=": "lookbehind", "(?<!": "negative lookbehind" };
const LINEAR = "patterns run on a linear-time (RE2) engine";

/** Why RE2 refused a pattern, in words a PEFT user can act on. */
function syntaxReason(error: RE2JSSyntaxException, pattern: string): string {
  const input = error.getPattern() ?? "";
  const description = error.getDescription();
  const around = Object.keys(LOOKAROUND).find((prefix) => input.startsWith(prefix));
  if (around) return `${LOOKAROUND[around]} (${around}…) is not supported: ${LINEAR}, which cannot look around`;
  if (/^\\[1-9]/.test(input) || (input.startsWith("(?P") && pattern.includes("(?P="))) {
    return `backreferences (\\1, (?P=name)) are not supported: ${LINEAR}, which cannot refer back to a group`;
  }
  if (input.startsWith("(?>")) return `atomic groups ((?>…)) are not supported: ${LINEAR}`;
  if (description === "invalid nested repetition operator" && /^[*+?}]\+$/.test(input.slice(-2))) {
    return `possessive quantifiers (${input}) are not supported: ${LINEAR}`;
  }
  if (description === "invalid repeat count") return `repeat count ${input} is over RE2's limit of 1000`;
  if (description === "expression too large" || description === "expression nests too deeply") return `RE2 refuses it: ${description}`;
  // RE2 quotes the offending part, or the whole source for unbalanced groups (then the text PEFT
  // compiles, with the key pasted in: only shown when it is part of the pattern itself).
  return `not a valid regular expression: ${description}${input && pattern.includes(input) ? `: ${input}` : ""}`;
}

/** Compiles `source` (what PEFT would compile for `pattern`), within the length and program budget. */
function compile(field: PatternField, pattern: string, source: string, budget: number): RE2JS {
  if (pattern.length > LIMITS.patternLength) {
    refuse(field, `${pattern.slice(0, 64)}…`, `it is ${pattern.length} characters long, over the limit of ${LIMITS.patternLength}`, { limit: LIMITS.patternLength });
  }
  // Python reads a{,3} as a{0,3}, RE2 as the text "a{,3}": refused rather than matched differently.
  const openRepeat = /(?<!\\)\{,\d+\}/.exec(pattern);
  if (openRepeat) refuse(field, pattern, `write ${openRepeat[0]} as {0,${openRepeat[0].slice(2)}: RE2 reads it as text where Python (PEFT) reads a repeat`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    if (error instanceof RE2JSSyntaxException) refuse(field, pattern, syntaxReason(error, pattern));
    // re2js's size limits (expression too large, nesting too deep) and anything else it refuses.
    refuse(field, pattern, `it cannot be compiled: ${(error as Error).message}`);
  }
  if (compiled.programSize() > budget) {
    const total = LIMITS.patternProgram - budget + compiled.programSize();
    refuse(field, pattern, `with it the config's patterns compile to ${total} RE2 instructions, over the limit of ${LIMITS.patternProgram}`, {
      programSize: total,
      limit: LIMITS.patternProgram,
    });
  }
  return compiled;
}

interface KeyMatcher {
  readonly key: string;
  readonly re: RE2JS;
}

function compileKeys(field: "rank_pattern" | "alpha_pattern", record: PatternRecord, budget: number): KeyMatcher[] {
  const keys = Object.keys(record);
  if (keys.length > LIMITS.patternKeys) {
    throw new AdapterFormatError("pattern", `${field} has ${keys.length} keys, over the limit of ${LIMITS.patternKeys}`, { field, keys: keys.length, limit: LIMITS.patternKeys });
  }
  const matchers: KeyMatcher[] = [];
  for (const key of keys) {
    // PEFT: re.match(rf"(.*\.)?({key})$", name). The outer group keeps re.match's anchor on every
    // alternative a key may bring in (a key is pasted in as text, as PEFT does).
    const re = compile(field, key, `^(?:(.*\\.)?(${key})$)`, budget);
    budget -= re.programSize();
    matchers.push({ key, re });
  }
  return matchers;
}

function firstKey(matchers: readonly KeyMatcher[], module: string): string | undefined {
  for (const { key, re } of matchers) if (re.test(module)) return key;
  return undefined;
}

/**
 * Compiles and checks every pattern of a config: a `pattern` error names the field, the pattern and
 * why (RE2 cannot run it, it is not a regex, or it is over a limit in LIMITS). Each pattern is
 * compiled once however many modules are matched.
 */
export function compilePeftPatterns(config: PatternFields): PeftPatterns {
  const targets = config.target_modules;
  let budget = LIMITS.patternProgram;
  let isTarget: (module: string) => boolean;
  if (typeof targets === "string") {
    const re = compile("target_modules", targets, targets, budget);
    budget -= re.programSize();
    isTarget = (module) => re.testExact(module);
  } else {
    const list = targets ?? [];
    isTarget = (module) => list.some((t) => module === t || module.endsWith(`.${t}`));
  }
  const rank = compileKeys("rank_pattern", config.rank_pattern ?? {}, budget);
  budget -= rank.reduce((sum, m) => sum + m.re.programSize(), 0);
  const alpha = compileKeys("alpha_pattern", config.alpha_pattern ?? {}, budget);
  budget -= alpha.reduce((sum, m) => sum + m.re.programSize(), 0);
  const programSize = LIMITS.patternProgram - budget;
  const fields: PatternField[] = [];
  if (typeof targets === "string") fields.push("target_modules");
  if (rank.length > 0) fields.push("rank_pattern");
  if (alpha.length > 0) fields.push("alpha_pattern");
  return {
    isTarget,
    rankKey: (module) => firstKey(rank, module),
    alphaKey: (module) => firstKey(alpha, module),
    programSize,
    checkMatchWork(modules) {
      if (programSize === 0) return;
      let count = 0;
      let characters = 0;
      for (const module of modules) {
        count++;
        characters += module.length;
      }
      const work = characters * programSize;
      if (work > LIMITS.patternWork) {
        throw new AdapterFormatError(
          "pattern",
          `matching ${count} module names (${characters} characters) against patterns of ${programSize} RE2 instructions would take up to ${work} steps, over the limit of ${LIMITS.patternWork}: use fewer or simpler patterns`,
          { fields, modules: count, characters, programSize, work, limit: LIMITS.patternWork },
        );
      }
    },
  };
}

// One compilation per config object (configs are parsed once and not mutated afterwards).
const compiledByConfig = new WeakMap<PatternFields, PeftPatterns>();

/** The config's compiled patterns, compiled (and checked) on first use. */
export function peftPatterns(config: PatternFields): PeftPatterns {
  let patterns = compiledByConfig.get(config);
  if (!patterns) {
    patterns = compilePeftPatterns(config);
    compiledByConfig.set(config, patterns);
  }
  return patterns;
}

export function isTargetModule(config: Pick<PeftLoraConfig, "target_modules">, module: string): boolean {
  return peftPatterns(config).isTarget(module);
}

/** Rank and alpha PEFT gives `module` under `config`. */
export function moduleRankAndAlpha(config: Pick<PeftLoraConfig, "r" | "lora_alpha" | "rank_pattern" | "alpha_pattern">, module: string): { rank: number; alpha: number } {
  const patterns = peftPatterns(config);
  const rankKey = patterns.rankKey(module);
  const alphaKey = patterns.alphaKey(module);
  return {
    rank: rankKey === undefined ? config.r : (config.rank_pattern[rankKey] as number),
    alpha: alphaKey === undefined ? config.lora_alpha : (config.alpha_pattern[alphaKey] as number),
  };
}

/** LoRA scaling: alpha / r, or alpha / √r with rank-stabilised LoRA (rsLoRA). */
export function loraScaling(alpha: number, rank: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

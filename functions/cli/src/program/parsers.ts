/**
 * Option value parsers for commander: each turns one flag's text into its value or throws
 * commander's InvalidArgumentError, which commander prints with the flag and the command's usage
 * (exit status 2).
 */
import { InvalidArgumentError } from "commander";

export interface NumberRule {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** A number (an integer when `integer`) within [min, max]. */
export function numberArg(rule: NumberRule = {}): (value: string) => number {
  return (value) => {
    const n = value.trim() === "" ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || (rule.integer && !Number.isInteger(n))) throw new InvalidArgumentError(`It must be ${rule.integer ? "an integer" : "a number"}.`);
    if (rule.min !== undefined && n < rule.min) throw new InvalidArgumentError(`It must be at least ${rule.min}.`);
    if (rule.max !== undefined && n > rule.max) throw new InvalidArgumentError(`It must be at most ${rule.max}.`);
    return n;
  };
}

/** `a,b, c` → ["a", "b", "c"] (blanks dropped). */
export function listArg(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A flag given more than once: every value, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

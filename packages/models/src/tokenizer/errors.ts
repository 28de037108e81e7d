import { SemlaError } from "@semla/core";

/**
 * A tokenizer file that cannot tokenize class names (the pack's, found at start: `internal`), or a
 * text that tokenizes to nothing (the caller's: `invalid`).
 */
export type TokenizerRule = "invalid-json" | "not-bpe" | "no-end-of-text" | "context-length" | "library" | "empty-text";

export class TokenizerError extends SemlaError {
  constructor(
    readonly rule: TokenizerRule,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(`tokenizer.${rule}`, message, { rule, ...details }, rule === "empty-text" ? "invalid" : "internal");
  }
}

import { type ErrorKind, kindOfRule, SemlaError } from "@semla/core";

export type BankRule = "plan" | "not-ready" | "build-failed" | "closed";

const KINDS: Partial<Record<BankRule, ErrorKind>> = { "not-ready": "unavailable", "build-failed": "unavailable", closed: "unavailable" };

/** A bank-mode request that cannot be served (an invalid plan, or no bank ready for its library). */
export class BankError extends SemlaError {
  readonly rule: BankRule;

  constructor(rule: BankRule, message: string, details: Record<string, unknown> = {}) {
    super(`bank.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

import { type ErrorKind, kindOfRule, SemlaError } from "@semla/core";

export type BlobStoreRule = "unavailable";

const KINDS: Partial<Record<BlobStoreRule, ErrorKind>> = {
  unavailable: "unavailable",
};

/** The object store failed us (S3 down, throttling, the disk full): `store.<rule>`. */
export class BlobStoreError extends SemlaError {
  readonly rule: BlobStoreRule;

  constructor(rule: BlobStoreRule, message: string, details: Record<string, unknown> = {}) {
    super(`store.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

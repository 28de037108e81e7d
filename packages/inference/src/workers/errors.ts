import { type ErrorKind, kindOfRule, SemlaError } from "@semla/core";

export type WorkerRule = "crashed" | "closed" | "init-failed" | "run-failed" | "unknown-model" | "model-interface";

const KINDS: Partial<Record<WorkerRule, ErrorKind>> = { crashed: "internal", closed: "unavailable", "init-failed": "internal", "run-failed": "internal", "model-interface": "internal" };

/** An inference that the worker pool could not carry out. */
export class WorkerError extends SemlaError {
  readonly rule: WorkerRule;

  constructor(rule: WorkerRule, message: string, details: Record<string, unknown> = {}) {
    super(`worker.${rule}`, message, { rule, ...details }, kindOfRule(KINDS, rule));
    this.rule = rule;
  }
}

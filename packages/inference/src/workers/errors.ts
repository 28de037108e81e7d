import { SemlaError } from "@semla/core";

export type WorkerRule = "crashed" | "closed" | "init-failed" | "run-failed" | "unknown-model" | "model-interface";

/** An inference that the worker pool could not carry out. */
export class WorkerError extends SemlaError {
  readonly rule: WorkerRule;

  constructor(rule: WorkerRule, message: string, details: Record<string, unknown> = {}) {
    super(`worker.${rule}`, message, { rule, ...details });
    this.rule = rule;
  }
}

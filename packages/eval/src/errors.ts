import { SemlaError } from "@semla/core";

export type EvalErrorCode = "eval.dataset-invalid" | "eval.registry-missing";

/** Bad evaluation input (a dataset folder that does not follow the layout): the user's to fix, with what and where in `details`. */
export class EvaluationError extends SemlaError {
  constructor(code: EvalErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

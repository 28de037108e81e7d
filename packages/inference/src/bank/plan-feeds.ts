import { LORA_BANK_INDICES, LORA_BANK_WEIGHTS } from "@semla/models";
import type { InputTensor } from "../workers/tensors.js";
import { BankError } from "./errors.js";

/** One image's plan for a bank: indices into the bank (its manifest's order) and their weights. */
export interface PlanWeights {
  readonly indices: readonly number[];
  readonly weights: readonly number[];
}

/** Refuses a plan the bank cannot serve: an index outside it, a weight that is not finite, lengths that differ. */
export function checkPlan(plan: PlanWeights, size: number): void {
  if (plan.indices.length === 0 || plan.indices.length !== plan.weights.length) {
    throw new BankError("plan", `a plan needs as many weights as indices, at least one (got ${plan.indices.length} and ${plan.weights.length})`);
  }
  const bad = plan.indices.find((i) => !Number.isInteger(i) || i < 0 || i >= size);
  if (bad !== undefined) throw new BankError("plan", `index ${bad} is outside the bank of ${size} adapters`, { index: bad, size });
  if (!plan.weights.every(Number.isFinite)) throw new BankError("plan", "a plan's weights must be finite numbers");
}

/**
 * The bank inputs of a batch, one row per image: int64 [N, k] and float32 [N, k], k the longest plan;
 * a shorter plan is padded with index 0 at weight 0 (it adds nothing).
 */
export function planFeeds(plans: readonly PlanWeights[]): Record<string, InputTensor> {
  const k = Math.max(...plans.map((p) => p.indices.length));
  const indices = new BigInt64Array(plans.length * k);
  const weights = new Float32Array(plans.length * k);
  plans.forEach((plan, row) => {
    plan.indices.forEach((index, j) => {
      indices[row * k + j] = BigInt(index);
      weights[row * k + j] = plan.weights[j] as number;
    });
  });
  return {
    [LORA_BANK_INDICES]: { type: "int64", data: indices, dims: [plans.length, k] },
    [LORA_BANK_WEIGHTS]: { type: "float32", data: weights, dims: [plans.length, k] },
  };
}

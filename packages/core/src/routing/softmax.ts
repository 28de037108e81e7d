import { RoutingError } from "./errors.js";

/**
 * softmax(s / T), numerically stable and never NaN.
 *
 * Computes exp((s − max) / T): every exponent is ≤ 0, so nothing overflows and the largest
 * term is exactly 1. Subtracting before dividing also keeps s / T from overflowing when s is
 * huge (1/distance for a tiny distance). Similarities of +Infinity (zero euclidean distance) are
 * the limit of that softmax: they share the weight equally and every finite one gets exactly 0.
 */
export function softmaxWeights(similarities: readonly number[], temperature: number): number[] {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new RoutingError("routing.invalid-options", `temperature must be a finite number > 0, got ${String(temperature)}`, { temperature: String(temperature) });
  }
  let max = -Infinity;
  let infinite = 0;
  similarities.forEach((s, i) => {
    if (Number.isNaN(s) || s === -Infinity) {
      throw new RoutingError("routing.non-finite", `similarity ${i} is ${String(s)}`, {
        index: i,
        similarity: String(s),
      });
    }
    if (s === Infinity) infinite++;
    if (s > max) max = s;
  });
  if (infinite > 0) return similarities.map((s) => (s === Infinity ? 1 / infinite : 0));

  const terms = similarities.map((s) => Math.exp((s - max) / temperature));
  const total = terms.reduce((sum, t) => sum + t, 0);
  return terms.map((t) => t / total);
}

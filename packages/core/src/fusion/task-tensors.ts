import type { Prng } from "../random/prng.js";
import { magnitudePrune, randomPrune } from "./prune.js";

/**
 * PEFT's task-tensor merges (merge_utils: task_arithmetic, magnitude_prune, ties, dare_linear,
 * dare_ties) over equally shaped flat tensors, accumulated in Float64.
 */
export type MajoritySign = "total" | "frequency";

export type TaskMerge =
  | { kind: "linear" }
  | { kind: "magnitude_prune"; density: number }
  | { kind: "ties"; density: number; majoritySign: MajoritySign }
  | { kind: "dare_linear"; density: number }
  | { kind: "dare_ties"; density: number; majoritySign: MajoritySign };

function weightedSum(tensors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const n = tensors[0]!.length;
  const acc = new Float64Array(n);
  tensors.forEach((t, j) => {
    const w = weights[j]!;
    for (let i = 0; i < n; i++) acc[i]! += w * t[i]!;
  });
  return Float32Array.from(acc);
}

/**
 * TIES: elect a sign per entry from the (unweighted) pruned tensors — by summed value ("total") or by
 * count ("frequency"), ties going to + — then average the weighted entries that agree with it.
 */
function disjointMerge(tensors: readonly Float32Array[], weights: readonly number[], majoritySign: MajoritySign): Float32Array {
  const n = tensors[0]!.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let elected = 0;
    for (const t of tensors) elected += majoritySign === "total" ? t[i]! : Math.sign(t[i]!);
    const sign = elected >= 0 ? 1 : -1;
    let sum = 0;
    let count = 0;
    tensors.forEach((t, j) => {
      if (Math.sign(t[i]!) === sign) {
        sum += weights[j]! * t[i]!;
        count++;
      }
    });
    out[i] = sum / Math.max(count, 1);
  }
  return out;
}

/** `randoms[j]` is the drop-mask stream of tensor j (only DARE draws from it). */
export function mergeTaskTensors(merge: TaskMerge, tensors: readonly Float32Array[], weights: readonly number[], randoms: () => readonly Prng[]): Float32Array {
  switch (merge.kind) {
    case "linear":
      return weightedSum(tensors, weights);
    case "magnitude_prune":
      return weightedSum(
        tensors.map((t) => magnitudePrune(t, merge.density)),
        weights,
      );
    case "ties":
      return disjointMerge(
        tensors.map((t) => magnitudePrune(t, merge.density)),
        weights,
        merge.majoritySign,
      );
    case "dare_linear": {
      const streams = randoms();
      return weightedSum(
        tensors.map((t, j) => randomPrune(t, merge.density, streams[j]!)),
        weights,
      );
    }
    case "dare_ties": {
      const streams = randoms();
      return disjointMerge(
        tensors.map((t, j) => randomPrune(t, merge.density, streams[j]!)),
        weights,
        merge.majoritySign,
      );
    }
  }
}

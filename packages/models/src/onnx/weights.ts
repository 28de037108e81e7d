import { createPrng } from "@semla/core";
import { elementCount, type GraphBuilder } from "./graph.js";

/**
 * Deterministic random weights. Each tensor draws from its own stream named (seed, tensor name), so
 * a weight's values do not depend on which tensors were drawn before it: a model built with an
 * adapter baked in, or with a different layer order, has the same base weights.
 */
export function normalWeights(seed: number, name: string, count: number, std: number): Float32Array {
  const random = createPrng(seed, name);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = random.normal() * std;
  return values;
}

/** Registers named parameters as initializers of one graph, all drawn from one model seed. */
export class Parameters {
  constructor(
    readonly graph: GraphBuilder,
    readonly seed: number,
  ) {}

  normal(name: string, dims: readonly number[], std: number): string {
    return this.graph.initializer(name, normalWeights(this.seed, name, elementCount(dims), std), dims);
  }

  filled(name: string, dims: readonly number[], value: number): string {
    return this.graph.initializer(name, new Float32Array(elementCount(dims)).fill(value), dims);
  }
}

// Test fixtures for fusion: small adapters with CAT-Seg-like module names.
import { loraScaling } from "../formats/peft/patterns.js";
import type { LoraAdapter, LoraModule } from "../lora/adapter.js";
import { denseDelta } from "../lora/adapter.js";
import { randomAdapter } from "../synthetic/random-adapter.js";

export const SMALL_MODULES = [
  { name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.3.attn.q_proj", inFeatures: 12, outFeatures: 12 },
  { name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.3.mlp.c_fc", inFeatures: 12, outFeatures: 20 },
  { name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.3.mlp.c_proj", inFeatures: 20, outFeatures: 12 },
  { name: "sem_seg_head.predictor.clip_model.transformer.resblocks.0.attn.v_proj", inFeatures: 8, outFeatures: 8 },
] as const;

export function smallAdapter(seed: number, rank: number, options: { alpha?: number; useRslora?: boolean; modules?: readonly (typeof SMALL_MODULES)[number][] } = {}): LoraAdapter {
  return randomAdapter({ modules: options.modules ?? SMALL_MODULES, rank, alpha: options.alpha ?? 2 * rank, seed, std: 0.5, useRslora: options.useRslora ?? false, baseModel: "catseg-l" });
}

/** Σ wᵢ · sᵢ · BᵢAᵢ for one module, by dense matrix products. */
export function expectedDelta(inputs: readonly { adapter: LoraAdapter; weight: number }[], name: string): Float64Array {
  let out: Float64Array | undefined;
  for (const { adapter, weight } of inputs) {
    const module = adapter.modules.find((m) => m.name === name);
    if (!module) continue;
    const delta = denseDelta(module);
    out ??= new Float64Array(delta.length);
    for (let i = 0; i < delta.length; i++) out[i]! += weight * delta[i]!;
  }
  if (!out) throw new Error(`no adapter has ${name}`);
  return out;
}

export function maxAbsDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`lengths ${x.length} and ${y.length} differ`);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

export function moduleNamed(adapter: LoraAdapter, name: string): LoraModule {
  const module = adapter.modules.find((m) => m.name === name);
  if (!module) throw new Error(`no module ${name}`);
  return module;
}

export { loraScaling };

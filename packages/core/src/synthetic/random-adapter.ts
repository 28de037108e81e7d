import { plainLoraConfig } from "../formats/peft/config.js";
import { loraScaling } from "../formats/peft/patterns.js";
import type { LoraAdapter, LoraModule } from "../lora/adapter.js";
import { createPrng } from "../random/prng.js";
import type { ModuleShape } from "../reference/catseg-l.js";

export interface RandomAdapterSpec {
  readonly modules: readonly ModuleShape[];
  readonly rank: number;
  readonly alpha?: number;
  readonly seed: number;
  readonly baseModel?: string | null;
  /** Standard deviation of the entries (default 0.02, the scale of trained LoRA factors). */
  readonly std?: number;
  readonly useRslora?: boolean;
}

/** A deterministic random LoRA adapter: demo libraries, fixtures and benchmarks. */
export function randomAdapter(spec: RandomAdapterSpec): LoraAdapter {
  const { rank, seed } = spec;
  const alpha = spec.alpha ?? 2 * rank;
  const std = spec.std ?? 0.02;
  const useRslora = spec.useRslora ?? false;
  const modules: LoraModule[] = [...spec.modules]
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    .map(({ name, inFeatures, outFeatures }) => {
      const random = createPrng(seed, name);
      const a = new Float32Array(rank * inFeatures);
      const b = new Float32Array(outFeatures * rank);
      for (let i = 0; i < a.length; i++) a[i] = random.normal() * std;
      for (let i = 0; i < b.length; i++) b[i] = random.normal() * std;
      return { name, rank, alpha, scaling: loraScaling(alpha, rank, useRslora), inFeatures, outFeatures, a, b };
    });
  const config = plainLoraConfig({ rank, alpha, targetModules: modules.map((m) => m.name), baseModel: spec.baseModel ?? null, useRslora });
  return { config, modules };
}

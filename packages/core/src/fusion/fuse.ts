import type { LoraAdapter, LoraModule } from "../lora/adapter.js";
import { catRank, fuseCat } from "./cat.js";
import { runCooperatively, runToCompletion } from "./cooperative.js";
import { FusionError } from "./errors.js";
import { fusedConfig } from "./fused-config.js";
import { fuseTaskArithmetic, sharedRank } from "./linear.js";
import type { FusedFactors, ModulePart } from "./module-parts.js";
import type { FusionOptions } from "./options.js";
import { fuseSvd } from "./svd.js";
import type { TaskMerge } from "./task-tensors.js";

export interface WeightedAdapter {
  readonly adapter: LoraAdapter;
  readonly weight: number;
}

/** Groups the inputs' modules by name, checking they can be combined. */
function collectParts(inputs: readonly WeightedAdapter[]): Map<string, ModulePart[]> {
  if (inputs.length === 0) throw new FusionError("no-adapters", "nothing to fuse: no adapters given");
  const first = inputs[0]!.adapter.config;
  inputs.forEach(({ adapter, weight }, index) => {
    if (!Number.isFinite(weight)) throw new FusionError("invalid-weight", `adapter #${index} has weight ${weight}; weights must be finite`, { adapter: index });
    const base = adapter.config.base_model_name_or_path;
    if (base !== null && first.base_model_name_or_path !== null && base !== first.base_model_name_or_path) {
      throw new FusionError("base-model-mismatch", `adapter #${index} was trained on ${base}, adapter #0 on ${first.base_model_name_or_path}`, { adapter: index });
    }
    if (adapter.config.fan_in_fan_out !== first.fan_in_fan_out) {
      throw new FusionError("fan-in-fan-out-mismatch", `adapter #${index} has fan_in_fan_out ${adapter.config.fan_in_fan_out}, adapter #0 ${first.fan_in_fan_out}`, { adapter: index });
    }
  });

  const parts = new Map<string, ModulePart[]>();
  inputs.forEach(({ adapter, weight }, adapterIndex) => {
    for (const module of adapter.modules) {
      const list = parts.get(module.name) ?? [];
      const reference = list[0]?.module;
      if (reference && (reference.inFeatures !== module.inFeatures || reference.outFeatures !== module.outFeatures)) {
        throw new FusionError(
          "shape-mismatch",
          `module ${module.name} is ${reference.outFeatures}x${reference.inFeatures} in adapter #${list[0]!.adapterIndex} but ${module.outFeatures}x${module.inFeatures} in adapter #${adapterIndex}`,
          { module: module.name },
        );
      }
      list.push({ module, weight, adapterIndex });
      parts.set(module.name, list);
    }
  });
  return new Map([...parts].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function taskMerge(options: FusionOptions): TaskMerge | undefined {
  switch (options.combination) {
    case "linear":
      return { kind: "linear" };
    case "magnitude_prune":
      return { kind: "magnitude_prune", density: options.density };
    case "ties":
      return { kind: "ties", density: options.density, majoritySign: options.majoritySign };
    case "dare_linear":
      return { kind: "dare_linear", density: options.density };
    case "dare_ties":
      return { kind: "dare_ties", density: options.density, majoritySign: options.majoritySign };
    default:
      return undefined;
  }
}

/** Rank of the fused adapter: every module is padded with zeros up to it, as PEFT does. */
function fusedRank(options: FusionOptions, parts: ReadonlyMap<string, ModulePart[]>): number {
  let rank = 0;
  for (const [name, list] of parts) {
    if (options.combination === "cat") rank = Math.max(rank, catRank(list));
    else if (options.combination === "svd") rank = Math.max(rank, ...list.map((p) => p.module.rank));
    else rank = Math.max(rank, sharedRank(name, list));
  }
  if (options.combination !== "svd" || options.rank === undefined) return rank;
  // A rank above min(in, out) only pads with zeros: the product B·A has no more than that.
  for (const [name, list] of parts) {
    const { inFeatures, outFeatures } = list[0]!.module;
    const max = Math.min(inFeatures, outFeatures);
    if (options.rank > max) {
      throw new FusionError("rank-too-large", `svd rank ${options.rank} is over ${max}, min(in, out) of module ${name} (${outFeatures}x${inFeatures})`, { module: name, rank: options.rank, max });
    }
  }
  return options.rank;
}

function* fusionSteps(inputs: readonly WeightedAdapter[], options: FusionOptions): Generator<string, LoraAdapter> {
  const parts = collectParts(inputs);
  const rank = fusedRank(options, parts);
  const merge = taskMerge(options);
  const seed = "seed" in options ? options.seed : 0;

  const modules: LoraModule[] = [];
  for (const [name, list] of parts) {
    let factors: FusedFactors;
    if (options.combination === "cat") factors = fuseCat(list, rank);
    else if (options.combination === "svd") factors = fuseSvd(list, rank, options.clamp);
    else factors = fuseTaskArithmetic(name, list, rank, merge!, seed);
    const { inFeatures, outFeatures } = list[0]!.module;
    modules.push({ name, rank, alpha: rank, scaling: 1, inFeatures, outFeatures, a: factors.a, b: factors.b });
    yield name;
  }
  const adapters = inputs.map((i) => i.adapter);
  return {
    config: fusedConfig(
      adapters,
      rank,
      modules.map((m) => m.name),
    ),
    modules,
  };
}

/**
 * PEFT `add_weighted_adapter` semantics over in-memory adapters. The result has scaling 1 on every
 * module (alpha = r) and is a valid PEFT adapter. A module an adapter lacks gets nothing from it.
 * The options are parsed already (the API's schema, or parseFusionOptions at another edge).
 */
export function fuseAdapters(inputs: readonly WeightedAdapter[], options: FusionOptions = { combination: "cat" }): LoraAdapter {
  return runToCompletion(fusionSteps(inputs, options));
}

/** As fuseAdapters, yielding to the event loop every `sliceMs` (default 10 ms) of work. */
export function fuseAdaptersAsync(
  inputs: readonly WeightedAdapter[],
  options: FusionOptions = { combination: "cat" },
  { sliceMs = 10, signal }: { sliceMs?: number; signal?: AbortSignal } = {},
): Promise<LoraAdapter> {
  return runCooperatively(fusionSteps(inputs, options), sliceMs, signal);
}

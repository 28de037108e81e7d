import type { LoraAdapter, ModuleShape } from "@semla/core";
import { loraInputNames } from "@semla/models";
import type { InputTensor } from "../workers/tensors.js";
import { SegmentationError } from "./errors.js";

/**
 * The LoRA inputs of the segmentation model for one request. The graph adds (x·Aᵀ)·Bᵀ per
 * targeted linear, with A [r, in] and B [out, r] fed at run time (symbolic rank), so one session
 * serves every adapter:
 * - a module the adapter has → its A, and B·scaling (a fused adapter has scaling 1);
 * - a module it lacks → rank 0: A [0, in], B [out, 0], a zero update;
 * - a module the model does not have, or a shape that differs → SegmentationError.
 * The arrays are fresh copies: the pool transfers (detaches) what it sends, and the adapter is the
 * caller's (often cached, often views into a safetensors buffer).
 */

const shape = (dims: readonly number[]) => `[${dims.join(", ")}]`;

export function loraFeeds(targets: readonly ModuleShape[], adapter: LoraAdapter | null): Record<string, InputTensor> {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const given = new Map<string, LoraAdapter["modules"][number]>();
  for (const module of adapter?.modules ?? []) {
    const target = byName.get(module.name);
    if (!target) {
      throw new SegmentationError("unknown-module", `adapter module ${module.name} is not a LoRA target of the segmentation model`, {
        module: module.name,
      });
    }
    const { rank } = module;
    const sizesConsistent = module.a.length === rank * module.inFeatures && module.b.length === module.outFeatures * rank;
    if (module.inFeatures !== target.inFeatures || module.outFeatures !== target.outFeatures || !sizesConsistent) {
      const adapterA = [rank, module.inFeatures];
      const adapterB = [module.outFeatures, rank];
      throw new SegmentationError(
        "module-shape",
        `adapter module ${module.name} has A ${shape(adapterA)} and B ${shape(adapterB)}` +
          (sizesConsistent ? "" : ` (holding ${module.a.length} and ${module.b.length} values)`) +
          `; the model expects A [r, ${target.inFeatures}] and B [${target.outFeatures}, r]`,
        {
          module: module.name,
          adapterShape: { a: adapterA, b: adapterB, aValues: module.a.length, bValues: module.b.length },
          modelShape: { inFeatures: target.inFeatures, outFeatures: target.outFeatures },
        },
      );
    }
    given.set(module.name, module);
  }

  const feeds: Record<string, InputTensor> = {};
  for (const target of targets) {
    const names = loraInputNames(target.name);
    const module = given.get(target.name);
    const rank = module?.rank ?? 0;
    const a = module ? module.a.slice() : new Float32Array(0);
    const b = new Float32Array(target.outFeatures * rank);
    if (module) for (let i = 0; i < b.length; i++) b[i] = (module.b[i] as number) * module.scaling;
    feeds[names.a] = { type: "float32", data: a, dims: [rank, target.inFeatures] };
    feeds[names.b] = { type: "float32", data: b, dims: [target.outFeatures, rank] };
  }
  return feeds;
}

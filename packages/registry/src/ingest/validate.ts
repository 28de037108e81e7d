import { LIMITS, type LoraAdapter, type ModuleShape } from "@semla/core";
import type { LibraryRecord, ModuleShapes } from "../db/adapter-index.js";
import { mergeModuleShapes } from "../db/module-shapes.js";
import { RegistryError } from "../errors.js";

/** Adapter names are domain names such as "fog+night": printable, short, no path characters. */
const NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,${LIMITS.adapterName - 1}}$`);

export function checkAdapterName(name: string): string {
  if (!NAME.test(name)) {
    throw new RegistryError("invalid-name", `adapter name ${JSON.stringify(name)} is invalid: use 1-${LIMITS.adapterName} letters, digits, '.', '_', '+' or '-', starting with a letter or digit`, {
      name,
    });
  }
  return name;
}

export function moduleShapesOf(adapter: LoraAdapter): ModuleShapes {
  return Object.fromEntries(adapter.modules.map((m) => [m.name, [m.outFeatures, m.inFeatures] as const]));
}

/** Same base model as the library, and every module shaped as the library's adapters have it. */
export function checkCompatibility(library: LibraryRecord, adapter: LoraAdapter, name: string): void {
  const base = adapter.config.base_model_name_or_path;
  if (base !== null && base !== library.baseModelId) {
    throw new RegistryError("base-model-mismatch", `adapter was trained on ${base} but library ${library.name} serves ${library.baseModelId}`, { expected: library.baseModelId, actual: base });
  }
  // Activation checks again under the library lock; this refuses early, before anything is stored.
  mergeModuleShapes(library.moduleShapes, moduleShapesOf(adapter), name);
}

/**
 * Every module the adapter targets is one the base model's graph takes LoRA factors for, with its
 * shape (the service's model pack lists them): an adapter that could never be served is refused at
 * upload, not at its first segmentation. Names the first few offenders.
 */
export function checkTargetModules(adapter: LoraAdapter, baseModelId: string, modules: readonly ModuleShape[], name: string): void {
  const known = new Map(modules.map((m) => [m.name, m]));
  const unknown: string[] = [];
  const misshapen: string[] = [];
  for (const m of adapter.modules) {
    const target = known.get(m.name);
    if (!target) unknown.push(m.name);
    else if (target.inFeatures !== m.inFeatures || target.outFeatures !== m.outFeatures) {
      misshapen.push(`${m.name} is [${m.outFeatures}, ${m.inFeatures}], the model's [${target.outFeatures}, ${target.inFeatures}]`);
    }
  }
  const few = (list: string[]) => `${list.slice(0, 5).join("; ")}${list.length > 5 ? `; and ${list.length - 5} more` : ""}`;
  if (unknown.length > 0) {
    throw new RegistryError("unknown-module", `adapter ${name} targets ${unknown.length} module(s) ${baseModelId} has no LoRA inputs for: ${few(unknown)}`, {
      baseModelId,
      modules: unknown.slice(0, 20),
      count: unknown.length,
    });
  }
  if (misshapen.length > 0) {
    throw new RegistryError("module-shape-mismatch", `adapter ${name} does not fit ${baseModelId}: ${few(misshapen)} ([out, in])`, {
      baseModelId,
      modules: misshapen.slice(0, 20),
      count: misshapen.length,
    });
  }
}

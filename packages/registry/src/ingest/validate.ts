import { LIMITS, type LoraAdapter } from "@semla/core";
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

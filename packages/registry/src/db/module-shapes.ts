import { RegistryError } from "../errors.js";
import type { ModuleShapes } from "./adapter-index.js";

/**
 * The library's module shapes joined with an adapter's. A module already known with another
 * [out, in] cannot belong to the same base model, and fusing it would fail later: refuse it here.
 */
export function mergeModuleShapes(library: ModuleShapes, adapter: ModuleShapes, adapterId: string): ModuleShapes {
  const merged: Record<string, readonly [number, number]> = { ...library };
  for (const [module, shape] of Object.entries(adapter)) {
    const known = library[module];
    if (known && (known[0] !== shape[0] || known[1] !== shape[1])) {
      throw new RegistryError("module-shape-mismatch", `adapter ${adapterId} has module ${module} with shape [${shape.join(", ")}] but the library has [${known.join(", ")}]`, {
        adapterId,
        module,
        expected: [...known],
        actual: [...shape],
      });
    }
    merged[module] = shape;
  }
  return merged;
}

export function sameModuleShapes(a: ModuleShapes, b: ModuleShapes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k]?.[0] === a[k]?.[0] && b[k]?.[1] === a[k]?.[1]);
}

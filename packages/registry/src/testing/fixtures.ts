import { randomBytes, randomUUID } from "node:crypto";
import { peft, SemlaError } from "@semla/core";
import { adapterObjectKey } from "@semla/storage";
import type { AdapterIndex, AdapterRecord, LibraryRecord, ModuleShapes, NewAdapter, NewLibrary } from "../db/adapter-index.js";

/** Builders for the contract suite and the registry's other tests: every test makes its own tenant and libraries. */

export function uniqueTenant(): string {
  return `tenant-${randomUUID()}`;
}

export function newLibrary(overrides: Partial<NewLibrary> = {}): NewLibrary {
  return {
    tenant: uniqueTenant(),
    name: "alps",
    baseModelId: "catseg-vitb16",
    embeddingModelId: "openai/clip-vit-base-patch16",
    dimension: 4,
    metric: "euclidean",
    ...overrides,
  };
}

export const CONFIG = peft.parsePeftConfig({
  peft_type: "LORA",
  r: 4,
  lora_alpha: 8,
  target_modules: ["q_proj", "v_proj"],
});

export interface AdapterOverrides {
  readonly id?: string;
  readonly sha256?: string;
  readonly moduleShapes?: ModuleShapes;
  readonly byteSize?: number;
  readonly spread?: number | null;
}

export function newAdapter(libraryId: string, name: string, centroid: readonly number[], overrides: AdapterOverrides = {}): NewAdapter {
  const id = overrides.id ?? randomUUID();
  const sha256 = overrides.sha256 ?? randomBytes(32).toString("hex");
  return {
    id,
    libraryId,
    name,
    rank: 4,
    alpha: 8,
    targetModules: ["q_proj", "v_proj"],
    moduleShapes: overrides.moduleShapes ?? { "layers.0.q_proj": [16, 16] },
    config: CONFIG,
    objectKey: (version) => adapterObjectKey({ libraryId, adapterId: id, version, sha256 }),
    byteSize: overrides.byteSize ?? 4096,
    sha256,
    centroid: Float32Array.from(centroid),
    sampleCount: 12,
    ...(overrides.spread !== undefined && { spread: overrides.spread }),
  };
}

/** Inserts and activates: an adapter as retrieval sees it. */
export async function addActive(index: AdapterIndex, library: LibraryRecord, name: string, centroid: readonly number[], overrides: AdapterOverrides = {}): Promise<AdapterRecord> {
  const pending = await index.insertPending(newAdapter(library.id, name, centroid, overrides));
  return index.activate(pending.id);
}

/** The SemlaError a promise rejects with (RegistryError, RoutingError, ...). */
export async function rejection(promise: Promise<unknown>): Promise<SemlaError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SemlaError) return error;
    throw error;
  }
  throw new Error("expected the promise to reject");
}

/** `count` points scattered around `groups` random centres: centroids of related domains cluster. */
export function clusteredPoints(random: { normal(): number }, options: { count: number; dimension: number; groups: number; spread: number }): { centres: Float32Array[]; points: Float32Array[] } {
  const { count, dimension, groups, spread } = options;
  const centres = Array.from({ length: groups }, () => Float32Array.from({ length: dimension }, () => random.normal()));
  const points = Array.from({ length: count }, (_, i) => near(random, centres[i % groups] as Float32Array, spread));
  return { centres, points };
}

export function near(random: { normal(): number }, centre: Float32Array, spread: number): Float32Array {
  return Float32Array.from(centre, (x) => x + spread * random.normal());
}

import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { bytesSource, type LoraAdapter, type ModuleShape, peft } from "@semla/core";
import { adapterObjectKey, type BlobStore, sha256Hex } from "@semla/storage";
import type { AdapterIndex, AdapterRecord, LibraryRecord, NewAdapter } from "../db/adapter-index.js";
import { assertCentroid } from "../db/centroid.js";
import { requireLibrary } from "../db/require-library.js";
import { RegistryError } from "../errors.js";
import { checkAdapterName, checkCompatibility, checkTargetModules, moduleShapesOf } from "./validate.js";

export interface RegisterAdapterInput {
  readonly tenant: string;
  readonly libraryId: string;
  readonly name: string;
  /** adapter_config.json, or the config an edge already parsed with peft.parsePeftConfig (not parsed twice). */
  readonly config: Uint8Array | string | peft.PeftLoraConfig;
  /** adapter_model.safetensors */
  readonly weights: Uint8Array;
  /** CLIP-embedding centroid of the adapter's training images. */
  readonly centroid: Float32Array;
  readonly sampleCount?: number | null;
  /** The sample images' spread around the centroid in the library's metric (coverage.sampleSpread), when known. */
  readonly spread?: number | null;
}

export interface RegisterResult {
  readonly adapter: AdapterRecord;
  /**
   * false when the same bytes were already registered under this name with the same config, centroid
   * and sample count (idempotent upload); the same bytes declared differently are a `conflict`.
   */
  readonly created: boolean;
}

export interface RegistryDeps {
  readonly index: AdapterIndex;
  readonly store: BlobStore;
  /**
   * The LoRA-targetable modules of the base models this service serves (its model pack's segmenter),
   * by base model id: an adapter for one of them must target only those modules, with their shapes.
   * Libraries of other base models are checked against each other only.
   */
  readonly baseModelModules?: (baseModelId: string) => readonly ModuleShape[] | undefined;
}

/**
 * Registers an adapter, all or nothing: validate everything first, then a `pending` row (invisible to
 * retrieval), then the object, then `active`. A failure undoes what was done; a crash in between
 * leaves a pending row or an orphan object that `sweep` removes.
 */
export async function registerAdapter(deps: RegistryDeps, input: RegisterAdapterInput): Promise<RegisterResult> {
  const name = checkAdapterName(input.name);
  const library = await requireLibrary(deps.index, input.tenant, input.libraryId);
  // insertPending checks again; checking here refuses a bad centroid before the weights are parsed.
  assertCentroid(input.centroid, library, "centroid");
  // The config is checked (size, nesting, schema, every pattern compiled within LIMITS) before any
  // row or object exists: peft.parsePeftConfig inside readLoraAdapter is that one check.
  const adapter = await peft.readLoraAdapter({ config: input.config, weights: bytesSource(input.weights) });
  checkCompatibility(library, adapter, name);
  const modules = deps.baseModelModules?.(library.baseModelId);
  if (modules) checkTargetModules(adapter, library.baseModelId, modules, name);

  const sha256 = sha256Hex(input.weights);
  const existing = await deps.index.findBySha256(library.id, name, sha256);
  if (existing) {
    const differences = declaredDifferences(existing, { config: adapter.config, centroid: input.centroid, sampleCount: input.sampleCount ?? null, spread: input.spread ?? null });
    if (differences.length > 0) {
      throw new RegistryError(
        "conflict",
        `adapter ${name} version ${existing.version} has these weights with a different ${differences.join(", ")}: delete it first, or register these under another name`,
        { adapterId: existing.id, version: existing.version, sha256, differences },
      );
    }
    return { adapter: existing, created: false };
  }

  const pending = await deps.index.insertPending(
    newAdapterOf({ libraryId: library.id, name, adapter, byteSize: input.weights.byteLength, sha256, centroid: input.centroid, sampleCount: input.sampleCount ?? null, spread: input.spread ?? null }),
  );
  try {
    await deps.store.put(pending.objectKey, input.weights, { contentType: "application/octet-stream" });
    return { adapter: await deps.index.activate(pending.id), created: true };
  } catch (error) {
    await undo(deps, pending);
    throw error;
  }
}

/** The pending row of a read adapter: its rank, alpha, targets and shapes from its config, its object keyed by id, version and sha256. */
export function newAdapterOf(input: {
  readonly libraryId: string;
  readonly name: string;
  readonly adapter: LoraAdapter;
  readonly byteSize: number;
  readonly sha256: string;
  readonly centroid: Float32Array;
  readonly sampleCount: number | null;
  readonly spread?: number | null;
}): NewAdapter {
  const { libraryId, adapter, sha256 } = input;
  const id = randomUUID();
  return {
    id,
    libraryId,
    name: input.name,
    rank: adapter.config.r,
    alpha: adapter.config.lora_alpha,
    targetModules: adapter.config.target_modules,
    moduleShapes: moduleShapesOf(adapter),
    config: adapter.config,
    objectKey: (version) => adapterObjectKey({ libraryId, adapterId: id, version, sha256 }),
    byteSize: input.byteSize,
    sha256,
    centroid: input.centroid,
    sampleCount: input.sampleCount,
    spread: input.spread ?? null,
  };
}

/**
 * What an upload of already-registered weights declares differently from the registered adapter:
 * `config.<field>` for each adapter_config.json field (after defaults, in any key order), `centroid`,
 * `sampleCount`, `spread`. Empty: the same adapter, uploaded again.
 */
export function declaredDifferences(
  registered: Pick<AdapterRecord, "config" | "centroid" | "sampleCount" | "spread">,
  declared: { readonly config: peft.PeftLoraConfig; readonly centroid: Float32Array; readonly sampleCount: number | null; readonly spread: number | null },
): string[] {
  // As stored: jsonb keeps what JSON keeps (no undefined fields).
  const config = JSON.parse(JSON.stringify(declared.config)) as Record<string, unknown>;
  const stored = registered.config as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(stored), ...Object.keys(config)])].sort();
  const differences = fields.filter((field) => !isDeepStrictEqual(stored[field], config[field])).map((field) => `config.${field}`);
  const sameCentroid = registered.centroid.length === declared.centroid.length && registered.centroid.every((x, i) => x === declared.centroid[i]);
  if (!sameCentroid) differences.push("centroid");
  if (registered.sampleCount !== declared.sampleCount) differences.push("sampleCount");
  if (registered.spread !== declared.spread) differences.push("spread");
  return differences;
}

/** Best effort: whatever is left (a crash, a second failure) is the sweep's. */
async function undo(deps: RegistryDeps, pending: AdapterRecord): Promise<void> {
  await deps.store.delete(pending.objectKey).catch(() => undefined);
  await deps.index.deleteAdapter(pending.id).catch(() => undefined);
}

/** Removes the row first (retrieval stops seeing it), then the object; a leftover object is the sweep's. */
export async function deleteAdapter(deps: RegistryDeps, tenant: string, id: string): Promise<AdapterRecord> {
  const record = await deps.index.getAdapter(tenant, id);
  if (!record) throw new RegistryError("unknown-adapter", `adapter ${id} does not exist`, { adapterId: id });
  const removed = await deps.index.deleteAdapter(record.id);
  if (!removed) throw new RegistryError("unknown-adapter", `adapter ${id} does not exist`, { adapterId: id });
  await deps.store.delete(removed.objectKey);
  return removed;
}

/**
 * Removes a library (refused while it holds adapters, unless `cascade`), then the objects its
 * adapters held that no other row references: no orphan is left behind (one a crash leaves is the sweep's).
 */
export async function deleteLibrary(deps: RegistryDeps, tenant: string, id: string, options: { cascade: boolean }): Promise<{ library: LibraryRecord; adapters: number }> {
  const { library, objectKeys } = await deps.index.deleteLibrary(tenant, id, options);
  for (const key of new Set(objectKeys)) {
    if (!(await deps.index.referencesObject(key))) await deps.store.delete(key);
  }
  return { library, adapters: objectKeys.length };
}

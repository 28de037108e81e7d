import { LIMITS } from "@semla/core";
import { BlobNotFoundError, type BlobStore, SizedLru } from "@semla/storage";
import { type BankManifest, BankManifestSchema, type BankPlan, bankManifestKey } from "../transport/schemas.js";
import type { BankLibrary, InferenceRequest } from "../types.js";

/*
 * Bank mode, the API side: the plan of a linear (`cat`) mixture travels as indices into its
 * library's bank manifest and their weights. The manifest of a generation is published here, on
 * its first use, and not by the writers that change a library: every writer (the API, the CLI's
 * admin commands, importLoraDb, a crash's sweep) bumps the generation in the registry, and the
 * first request that reads the new generation publishes it, so none can be missed, and a writer
 * that crashed after its commit leaves nothing unpublished. The put is idempotent: the manifest
 * of (library, generation) is the same bytes whoever writes it (the library's adapters at that
 * generation, in the order bankAdapters gives).
 */

/** Libraries whose latest manifest this process knows: one entry each, its newest generation. */
const MAX_LIBRARIES = 10_000;

interface Known {
  readonly generation: number;
  /** objectKey → index in the manifest; null: no bank for this generation (moved on, or too many adapters). */
  readonly order: Promise<ReadonlyMap<string, number> | null>;
  /** Set when reading or publishing the manifest failed: when to try again. */
  readonly retryAt?: number;
}

export interface BankPlans {
  /** The request's bank plan, publishing its generation's manifest first if it is not; null when the request goes without one. */
  plan(request: InferenceRequest): Promise<BankPlan | null>;
}

function orderOf(manifest: BankManifest): Map<string, number> {
  const order = new Map<string, number>();
  for (const [i, adapter] of manifest.adapters.entries()) if (!order.has(adapter.objectKey)) order.set(adapter.objectKey, i);
  return order;
}

/** The manifest of (library, generation): the stored one, or published now from the library's adapters (null: none for this generation). */
async function published(store: BlobStore, library: BankLibrary): Promise<ReadonlyMap<string, number> | null> {
  const key = bankManifestKey(library.id, library.generation);
  try {
    const stored = BankManifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.get(key))));
    if (stored.library !== library.id || stored.generation !== library.generation) return null;
    return orderOf(stored);
  } catch (error) {
    if (!(error instanceof BlobNotFoundError)) throw error;
  }
  const adapters = await library.bankAdapters();
  if (adapters === null || adapters.length === 0 || adapters.length > LIMITS.bankAdapters) return null;
  const manifest: BankManifest = {
    library: library.id,
    generation: library.generation,
    adapters: adapters.map(({ sha256, objectKey, config }) => ({ sha256, objectKey, config })),
  };
  const checked = BankManifestSchema.safeParse(manifest);
  if (!checked.success) return null; // an id or key the wire format refuses: this library goes without a bank
  await store.put(key, new TextEncoder().encode(JSON.stringify(manifest)), { contentType: "application/json" });
  return orderOf(manifest);
}

export interface BankPlansOptions {
  /** After the manifest could not be read or published, requests for that generation go without a plan this long before one tries again. Default 10 s. */
  readonly retryAfterMs?: number;
  readonly now?: () => number;
}

export function createBankPlans(store: BlobStore, options: BankPlansOptions = {}): BankPlans {
  const known = new SizedLru<string, Known>(MAX_LIBRARIES);
  const retryAfterMs = options.retryAfterMs ?? 10_000;
  const now = options.now ?? Date.now;

  function order(library: BankLibrary): Promise<ReadonlyMap<string, number> | null> {
    const held = known.get(library.id);
    if (held && held.generation === library.generation && !(held.retryAt !== undefined && now() >= held.retryAt)) return held.order;
    // A request that read an older generation than the one known goes without a bank (its plan may name adapters gone since).
    if (held && held.generation > library.generation) return Promise.resolve(null);
    const entry: Known = { generation: library.generation, order: published(store, library) };
    known.set(library.id, entry, 1);
    // A failure (the store, the registry) is remembered for a while, so an outage does not cost
    // every request a round trip; then a request tries again.
    entry.order.catch(() => {
      const failedAt = now();
      const failed: Known = { generation: library.generation, order: Promise.resolve(null), retryAt: failedAt + retryAfterMs };
      if (known.get(library.id) === entry) known.set(library.id, failed, 1);
    });
    return entry.order;
  }

  return {
    async plan({ mixture, library }) {
      if (!mixture || !library || mixture.options.combination !== "cat") return null;
      let indexOf: ReadonlyMap<string, number> | null;
      try {
        indexOf = await order(library);
      } catch {
        return null; // the manifest could not be read or published: this request goes by its adapter reference
      }
      if (!indexOf) return null;
      const indices: number[] = [];
      for (const source of mixture.sources) {
        const index = indexOf.get(source.objectKey);
        if (index === undefined) return null; // planned from rows that are not the generation's (deleted or added meanwhile)
        indices.push(index);
      }
      return { library: library.id, generation: library.generation, indices, weights: mixture.sources.map((s) => s.weight) };
    },
  };
}

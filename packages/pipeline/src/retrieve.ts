import { LIMITS, routing } from "@semla/core";
import { type AdapterIndex, type AdapterRecord, type LibraryRecord, RegistryError } from "@semla/registry";
import { PipelineError } from "./errors.js";
import type { RouteOptions } from "./options.js";

/** A fusion plan, and what is known of its adapters' rows (the rest are looked up by id). */
export interface Retrieved {
  readonly plan: routing.FusionPlan;
  readonly records: ReadonlyMap<string, AdapterRecord>;
  /** Name and version of every planned adapter, for the answer's contributions. */
  readonly names: ReadonlyMap<string, { readonly name: string; readonly version: number }>;
}

const PAGE = 500;

/** Every active adapter of a library (retrieval's candidates), through the index's paged listing. */
export async function activeAdapters(index: AdapterIndex, library: LibraryRecord): Promise<AdapterRecord[]> {
  const all: AdapterRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await index.listAdapters(library.tenant, { libraryId: library.id, status: "active", limit: PAGE, ...(cursor !== undefined && { cursor }) });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}

/** `exclude` takes ids or names (as the index does); in-memory routing takes ids only. */
function excludedIds(records: readonly AdapterRecord[], exclude: readonly string[]): string[] {
  const given = new Set(exclude);
  return records.filter((r) => given.has(r.id) || given.has(r.name)).map((r) => r.id);
}

function byId(records: readonly AdapterRecord[]): Map<string, AdapterRecord> {
  return new Map(records.map((r) => [r.id, r]));
}

function namesOf(records: Iterable<{ id: string; name: string; version: number }>): Map<string, { name: string; version: number }> {
  return new Map([...records].map((r) => [r.id, { name: r.name, version: r.version }]));
}

function checkDimension(library: LibraryRecord, embedding: Float32Array): void {
  if (embedding.length !== library.dimension) {
    throw new PipelineError("embedding-dimension", `library ${library.id} holds ${library.dimension}-d centroids; the embedding has ${embedding.length} dimensions`, {
      expected: library.dimension,
      actual: embedding.length,
    });
  }
}

/**
 * SemLA routing: the k nearest active adapters, weighted by softmax(similarity / T). In the library's
 * metric the index answers (HNSW, or exact on request); in the other metric every centroid is
 * measured here, exactly, since the library's index is built for its own metric only.
 */
export async function semlaPlan(index: AdapterIndex, library: LibraryRecord, embedding: Float32Array, options: RouteOptions): Promise<Retrieved> {
  checkDimension(library, embedding);
  const metric = options.metric ?? library.metric;
  const k = options.k ?? routing.ROUTING_DEFAULTS.k;
  const routingOptions: routing.RoutingOptions = { k, metric, exclude: options.exclude, temperature: options.temperature ?? routing.ROUTING_DEFAULTS.temperature };
  if (metric === library.metric) {
    const neighbors = await index.nearest(library.id, embedding, {
      k,
      exclude: options.exclude,
      exact: options.exact,
      ...(options.efSearch !== undefined && { efSearch: options.efSearch }),
    });
    return { plan: routing.planFromNeighbors(neighbors, routingOptions), records: new Map(), names: namesOf(neighbors) };
  }
  const records = await activeAdapters(index, library);
  const neighbors = routing.nearestAdapters(embedding, records, { k, metric, exclude: excludedIds(records, options.exclude) });
  return { plan: routing.planFromNeighbors(neighbors, routingOptions), records: byId(records), names: namesOf(records) };
}

/**
 * The uniform-merge baseline: equal weights over every active adapter (less the excluded), or over
 * the k nearest when k is given. Distances are measured exactly, for the explanation only. A library
 * with more than LIMITS.k eligible adapters needs k: fusing them all is the unbounded allocation the
 * limit exists to prevent.
 */
export async function uniformPlan(index: AdapterIndex, library: LibraryRecord, embedding: Float32Array, options: RouteOptions): Promise<Retrieved> {
  checkDimension(library, embedding);
  const metric = options.metric ?? library.metric;
  const records = await activeAdapters(index, library);
  const exclude = excludedIds(records, options.exclude);
  const eligible = records.length - exclude.length;
  if (options.k === undefined && eligible > LIMITS.k) {
    throw new PipelineError("invalid-options", `uniform over every adapter would fuse ${eligible}, over the limit of ${LIMITS.k}: give k (at most ${LIMITS.k})`, { eligible, max: LIMITS.k });
  }
  const neighbors = routing.nearestAdapters(embedding, records, { k: records.length || 1, metric, exclude });
  const plan = routing.uniformPlan(neighbors, { metric, exclude: options.exclude, ...(options.k !== undefined && { k: options.k }) });
  return { plan, records: byId(records), names: namesOf(records) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One adapter of the library at weight 1, by id (any version that is not pending) or by name (its
 * active version): the oracle when it is the target domain's own adapter.
 */
export async function singleAdapterPlan(index: AdapterIndex, library: LibraryRecord, adapter: string): Promise<Retrieved> {
  let record: AdapterRecord | undefined;
  if (UUID.test(adapter)) {
    const found = await index.getAdapter(library.tenant, adapter.toLowerCase());
    record = found?.libraryId === library.id ? found : undefined;
  } else {
    record = (await index.listAdapters(library.tenant, { libraryId: library.id, name: adapter, status: "active", limit: 1 })).items[0];
  }
  if (!record) throw new RegistryError("unknown-adapter", `library ${library.id} has no adapter ${JSON.stringify(adapter)}`, { adapter, libraryId: library.id });
  if (record.status === "pending") {
    throw new PipelineError("adapter-inactive", `adapter ${record.id} is still being registered`, { adapterId: record.id });
  }
  const plan = routing.uniformPlan([record.id], { k: 1, metric: library.metric, exclude: [] });
  return { plan, records: byId([record]), names: namesOf([record]) };
}

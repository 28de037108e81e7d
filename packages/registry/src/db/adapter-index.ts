import type { peft, routing } from "@semla/core";

type PeftLoraConfig = peft.PeftLoraConfig;

export type Metric = routing.Metric;
export type AdapterStatus = "pending" | "active" | "superseded";
/** The statuses of adapters (a pending row is an upload in progress, or one a crash left for the sweep). */
export type ListedStatus = Exclude<AdapterStatus, "pending">;

/** [out, in] of each LoRA-adapted module, as the base model has it. */
export type ModuleShapes = Readonly<Record<string, readonly [out: number, inFeatures: number]>>;

export interface NewLibrary {
  readonly tenant: string;
  readonly name: string;
  readonly baseModelId: string;
  readonly embeddingModelId: string;
  readonly dimension: number;
  readonly metric: Metric;
}

export interface LibraryRecord extends NewLibrary {
  readonly id: string;
  /** Union of the module shapes of every adapter ever activated in the library. */
  readonly moduleShapes: ModuleShapes;
  readonly createdAt: Date;
}

export interface AdapterRecord {
  readonly id: string;
  readonly libraryId: string;
  readonly name: string;
  readonly version: number;
  readonly status: AdapterStatus;
  readonly rank: number;
  readonly alpha: number;
  readonly targetModules: PeftLoraConfig["target_modules"];
  readonly moduleShapes: ModuleShapes;
  /** adapter_config.json as parsed (kept in the row; the weights are the object). */
  readonly config: PeftLoraConfig;
  readonly objectKey: string;
  readonly byteSize: number;
  readonly sha256: string;
  readonly centroid: Float32Array;
  readonly sampleCount: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewAdapter {
  readonly id: string;
  readonly libraryId: string;
  readonly name: string;
  readonly rank: number;
  readonly alpha: number;
  readonly targetModules: PeftLoraConfig["target_modules"];
  readonly moduleShapes: ModuleShapes;
  readonly config: PeftLoraConfig;
  /** Computes the object key once the version is known (the key contains it). */
  readonly objectKey: (version: number) => string;
  readonly byteSize: number;
  readonly sha256: string;
  readonly centroid: Float32Array;
  readonly sampleCount: number | null;
}

export interface NearestQuery {
  readonly k: number;
  /** Adapter ids or names to leave out (leave-one-out evaluation). */
  readonly exclude?: readonly string[];
  /** Exact scan instead of the HNSW index (libraries under HNSW_MIN_ADAPTERS are scanned exactly anyway). */
  readonly exact?: boolean;
  /** HNSW candidate list size (recall against latency); default max(40, 2k). */
  readonly efSearch?: number;
}

/** A neighbour as core routing expects it (`id`, `distance` in the library's metric), plus its name. */
export interface NearestAdapter extends routing.Neighbor {
  readonly name: string;
  readonly version: number;
}

export interface AdapterPage {
  readonly items: readonly AdapterRecord[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  readonly nextCursor: string | undefined;
}

/**
 * The adapter index: libraries and adapters in PostgreSQL + pgvector (or PGlite, the same
 * migrations), retrieval by centroid. Every read that a user reaches is scoped by tenant.
 * Only `active` adapters (the newest active version of each name) take part in retrieval.
 */
export interface AdapterIndex {
  createLibrary(input: NewLibrary): Promise<LibraryRecord>;
  getLibrary(tenant: string, id: string): Promise<LibraryRecord | undefined>;
  /** The tenant's libraries, oldest first. */
  listLibraries(tenant: string): Promise<LibraryRecord[]>;
  /** Inserts a `pending` row with the next version of `name` in the library. */
  insertPending(input: NewAdapter): Promise<AdapterRecord>;
  /**
   * pending → active in one transaction: older active versions of the same name become
   * `superseded`, and the adapter's module shapes join the library's.
   */
  activate(id: string): Promise<AdapterRecord>;
  /** The active (or superseded) adapter of `name` with these exact bytes, for idempotent uploads. */
  findBySha256(libraryId: string, name: string, sha256: string): Promise<AdapterRecord | undefined>;
  getAdapter(tenant: string, id: string): Promise<AdapterRecord | undefined>;
  /** The tenant's adapters, newest first; pending rows are never listed (they are not adapters yet). */
  listAdapters(tenant: string, filter: { libraryId?: string; name?: string; status?: ListedStatus; limit: number; cursor?: string }): Promise<AdapterPage>;
  /**
   * Removes the row; when it was the active version, the newest superseded version of the same name
   * becomes active again. Returns the removed row (its object is the caller's to delete).
   */
  deleteAdapter(id: string): Promise<AdapterRecord | undefined>;
  /** k nearest active adapters of a library to the query, nearest first, ties by id. */
  nearest(libraryId: string, query: Float32Array, options: NearestQuery): Promise<NearestAdapter[]>;
  /** Pending rows last updated before `before`: candidates for the sweep. */
  stalePending(before: Date): Promise<AdapterRecord[]>;
  /** Whether any row (any status) references the object key. */
  referencesObject(objectKey: string): Promise<boolean>;
  close(): Promise<void>;
}

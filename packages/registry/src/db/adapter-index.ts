import type { coverage, peft, routing } from "@semla/core";

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
  /** What an out-of-library query gets unless the request says otherwise (default fuse). */
  readonly coveragePolicy?: coverage.CoveragePolicy;
}

/** A library's calibration, with the generation of its adapters it was computed from. */
export type StoredCalibration = coverage.LibraryCalibration & { readonly generation: number };

export interface LibraryRecord extends NewLibrary {
  readonly id: string;
  /** Union of the module shapes of every adapter ever activated in the library. */
  readonly moduleShapes: ModuleShapes;
  readonly coveragePolicy: coverage.CoveragePolicy;
  /** Bumped by every change to the library's active adapters. */
  readonly generation: number;
  /** Null until computed; stale when its generation is not the library's. */
  readonly calibration: StoredCalibration | null;
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
  /** The sample images' spread around the centroid (95th percentile of their distances), or null without samples. */
  readonly spread: number | null;
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
  readonly spread?: number | null;
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

/** What `updateLibrary` may change; each left out stays. */
export interface LibraryChanges {
  readonly name?: string | undefined;
  readonly baseModelId?: string | undefined;
  readonly embeddingModelId?: string | undefined;
  readonly coveragePolicy?: coverage.CoveragePolicy | undefined;
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
  /**
   * Renames a library or corrects its base and embedding model ids. The model ids are its adapters'
   * (their configs name the base model; their centroids come from the encoder), so they change only
   * while the library holds no adapter (registry.library-not-empty otherwise); a taken name is
   * registry.library-exists. Dimension and metric never change (the HNSW index is built on them).
   */
  updateLibrary(tenant: string, id: string, changes: LibraryChanges): Promise<LibraryRecord>;
  /**
   * Removes a library with its HNSW index. One holding adapters (any status) is refused
   * (registry.library-not-empty) unless `cascade`: then its adapters and their contributions go
   * with it, and the object keys they held are returned (the caller's to delete).
   */
  deleteLibrary(tenant: string, id: string, options: { cascade: boolean }): Promise<{ library: LibraryRecord; objectKeys: string[] }>;
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
  /**
   * Stores a calibration computed at `calibration.generation`, unless the library's adapters have
   * changed since (then it is stale and nothing is written): returns whether it was stored.
   */
  setCalibration(libraryId: string, calibration: StoredCalibration): Promise<boolean>;
  /** Pending rows last updated before `before`: candidates for the sweep. */
  stalePending(before: Date): Promise<AdapterRecord[]>;
  /** Whether any row (any status) references the object key. */
  referencesObject(objectKey: string): Promise<boolean>;
  close(): Promise<void>;
}

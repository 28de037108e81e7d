import type { fusion, routing } from "@semla/core";
import {
  adapterByteSize,
  adapterReference,
  catManifestReference,
  mayFitInline,
  SAGEMAKER_PAYLOAD_LIMIT_BYTES,
  type AdapterReference,
  type CatSource,
  type ClassScore,
  type Embedder,
  type InferenceBackend,
  type InferenceResponse,
} from "@semla/inference";
import { RegistryError, requireLibrary, type AdapterCache, type AdapterIndex, type AdapterRecord, type LibraryRecord } from "@semla/registry";
import { SizedLru, type BlobStore } from "@semla/storage";
import { PipelineError } from "./errors.js";
import { FusedAdapterCache, type FusionSource } from "./fused-cache.js";
import { ROUTE_DEFAULTS, SEGMENT_DEFAULTS, type RouteOptions, type SegmentMode, type SegmentOptions } from "./options.js";
import { semlaPlan, singleAdapterPlan, uniformPlan, type Retrieved } from "./retrieve.js";
import { StageTimer } from "./stage-timer.js";

export interface PipelineDeps {
  readonly index: AdapterIndex;
  /** Source adapters by sha256, bounded in memory, read from the registry's object store. */
  readonly adapters: AdapterCache;
  readonly embedder: Embedder;
  readonly backend: InferenceBackend;
  /** Where fused adapters of other combinations than `cat` go when they do not fit the payload. */
  readonly store?: BlobStore;
  /** The embedding model this service runs: libraries indexed with another one are refused. */
  readonly embeddingModelId?: string;
  /** Default: SageMaker's 6 MB. */
  readonly payloadLimitBytes?: number;
  /** Budget of fused adapters kept by plan (F32 bytes). Default 256 MiB. */
  readonly fusedCacheBytes?: number;
  /** Per inference call. Default: none (the backend's own). */
  readonly inferenceTimeoutMs?: number;
}

/** One adapter's part in an answer: the explanation of where its weight came from. */
export interface Contribution {
  readonly adapterId: string;
  readonly name: string;
  readonly version: number;
  /** 1-based, nearest first. */
  readonly rank: number;
  readonly distance: number | null;
  readonly similarity: number | null;
  readonly weight: number;
}

/** Milliseconds per stage (embed, retrieve, load, fuse, infer, total), and the backend's own stages. */
export interface PipelineTimings {
  readonly stages: Readonly<Record<string, number>>;
  readonly backend: Readonly<Record<string, number>>;
}

export interface RouteInput {
  readonly tenant: string;
  readonly libraryId: string;
  /** An encoded image (embedded here) or its embedding. */
  readonly query: { readonly image: Uint8Array } | { readonly embedding: Float32Array };
  /** Parsed already (the API's request schema, or parseOptions at another edge); default ROUTE_DEFAULTS. */
  readonly options?: RouteOptions;
  readonly signal?: AbortSignal;
}

export interface RouteResult {
  readonly library: LibraryRecord;
  readonly embedding: Float32Array;
  readonly plan: routing.FusionPlan;
  readonly contributions: readonly Contribution[];
  readonly timings: Readonly<Record<string, number>>;
}

export interface SegmentInput {
  readonly tenant: string;
  readonly libraryId: string;
  readonly image: Uint8Array;
  readonly classNames: readonly string[];
  /** Parsed already (the API's request schema, or parseOptions at another edge); default SEGMENT_DEFAULTS. */
  readonly options?: SegmentOptions;
  readonly requestId?: string;
  readonly signal?: AbortSignal;
}

export interface SegmentResult {
  readonly library: LibraryRecord;
  readonly mode: SegmentMode;
  /** 8-bit greyscale PNG at the image's size: pixel value = index into classNames. */
  readonly maskPng: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly scores: readonly ClassScore[];
  /** null in zero-shot mode. An empty plan (nothing eligible) also runs zero-shot. */
  readonly plan: routing.FusionPlan | null;
  readonly contributions: readonly Contribution[];
  /**
   * How the plan's adapters were combined; where (here, or by the backend from a cat manifest when
   * the fused adapter cannot travel inline); and whether the fused adapter came from the plan cache.
   */
  readonly fusion: { readonly options: fusion.FusionOptions; readonly at: "api" | "backend"; readonly cached: boolean } | null;
  /** How the adapter travelled to the backend, and whether the backend had it cached. */
  readonly adapter: InferenceResponse["adapter"];
  readonly timings: PipelineTimings;
}

export interface Pipeline {
  embed(image: Uint8Array, options?: { signal?: AbortSignal }): Promise<{ embedding: Float32Array; timings: Readonly<Record<string, number>> }>;
  route(input: RouteInput): Promise<RouteResult>;
  segment(input: SegmentInput): Promise<SegmentResult>;
}

const MiB = 1024 * 1024;

/**
 * The request pipeline: embed → retrieve (pgvector) → load the planned adapters (cache ← object
 * store) → fuse (cached by plan) → forward to the inference backend. The API's routes and
 * `semla eval` both go through it, so what is evaluated is what is served.
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const fused = new FusedAdapterCache(deps.fusedCacheBytes ?? 256 * MiB);
  // Rows are immutable in what loading needs (sha256, object key, config): cache them by id.
  const rows = new SizedLru<string, AdapterRecord>(10_000);

  async function library(tenant: string, id: string): Promise<LibraryRecord> {
    const found = await requireLibrary(deps.index, tenant, id);
    if (deps.embeddingModelId !== undefined && found.embeddingModelId !== deps.embeddingModelId) {
      throw new PipelineError(
        "embedding-model-mismatch",
        `library ${id} is indexed with ${found.embeddingModelId} embeddings; this service embeds with ${deps.embeddingModelId}`,
        { library: found.embeddingModelId, service: deps.embeddingModelId },
      );
    }
    return found;
  }

  async function embedOne(image: Uint8Array, signal: AbortSignal | undefined): Promise<Float32Array> {
    const [embedding] = await deps.embedder.embed([image], signal ? { signal } : {});
    return embedding as Float32Array;
  }

  /**
   * The library's row and the image's embedding, together: the embedding does not depend on the
   * row, so its database round trip runs while the image is embedded. The library's refusals
   * (unknown, another embedding model) still come first, as if it had been read before.
   */
  async function libraryAndEmbedding(tenant: string, id: string, image: Uint8Array, timer: StageTimer, signal: AbortSignal | undefined): Promise<[LibraryRecord, Float32Array]> {
    const embedding = timer.time("embed", () => embedOne(image, signal));
    // Handled now: it may fail while the row is read, and is awaited (rethrowing) only after.
    embedding.catch(() => {});
    const lib = await library(tenant, id);
    return [lib, await embedding];
  }

  async function record(tenant: string, id: string, retrieved: Retrieved): Promise<AdapterRecord> {
    const known = retrieved.records.get(id) ?? rows.get(id);
    if (known) return known;
    const found = await deps.index.getAdapter(tenant, id);
    // Retrieved a moment ago and gone now: deleted in between.
    if (!found) throw new RegistryError("unknown-adapter", `adapter ${id} was deleted while this request was served`, { adapterId: id });
    rows.set(id, found, 1);
    return found;
  }

  async function load(tenant: string, retrieved: Retrieved): Promise<FusionSource[]> {
    return Promise.all(
      retrieved.plan.adapters.map(async (planned) => {
        const row = await record(tenant, planned.id, retrieved);
        const source: CatSource = { sha256: row.sha256, objectKey: row.objectKey, config: row.config, weight: planned.weight };
        return { adapter: await deps.adapters.load(row), source };
      }),
    );
  }

  function contributions(retrieved: Retrieved): Contribution[] {
    return retrieved.plan.adapters.map((a) => {
      const named = retrieved.names.get(a.id);
      return { adapterId: a.id, name: named?.name ?? a.id, version: named?.version ?? 0, rank: a.rank, distance: a.distance, similarity: a.similarity, weight: a.weight };
    });
  }

  return {
    async embed(image, options = {}) {
      const timer = new StageTimer();
      const embedding = await timer.time("embed", () => embedOne(image, options.signal));
      return { embedding, timings: timer.finish() };
    },

    async route(input) {
      const timer = new StageTimer();
      const options = input.options ?? ROUTE_DEFAULTS;
      const { query } = input;
      const [lib, embedding] =
        "embedding" in query ? [await library(input.tenant, input.libraryId), query.embedding] : await libraryAndEmbedding(input.tenant, input.libraryId, query.image, timer, input.signal);
      const retrieved = await timer.time("retrieve", () => semlaPlan(deps.index, lib, embedding, options));
      return { library: lib, embedding, plan: retrieved.plan, contributions: contributions(retrieved), timings: timer.finish() };
    },

    async segment(input) {
      const timer = new StageTimer();
      const options = input.options ?? SEGMENT_DEFAULTS;
      const { signal } = input;

      const routed = options.mode === "semla" || options.mode === "uniform";
      const [lib, embedding] = routed ? await libraryAndEmbedding(input.tenant, input.libraryId, input.image, timer, signal) : [await library(input.tenant, input.libraryId), undefined];

      let retrieved: Retrieved | null = null;
      if (embedding) {
        const plan = options.mode === "semla" ? semlaPlan : uniformPlan;
        retrieved = await timer.time("retrieve", () => plan(deps.index, lib, embedding, options));
      } else if (options.mode === "adapter") {
        const adapter = options.adapter as string; // required for this mode by the schema
        retrieved = await timer.time("retrieve", () => singleAdapterPlan(deps.index, lib, adapter));
      }

      const request = { image: input.image, classNames: input.classNames, ...(input.requestId !== undefined && { requestId: input.requestId }) };
      const limit = deps.payloadLimitBytes ?? SAGEMAKER_PAYLOAD_LIMIT_BYTES;
      let reference: AdapterReference = { kind: "none" };
      let fusionInfo: SegmentResult["fusion"] = null;
      if (retrieved && retrieved.plan.adapters.length > 0) {
        const plan = retrieved;
        const loaded = await timer.time("load", () => load(input.tenant, plan));
        const sources = loaded.map((l) => l.source);
        const factorBytes = loaded.reduce((sum, l) => sum + adapterByteSize(l.adapter), 0);
        if (options.fusion.combination === "cat" && !mayFitInline(input.image.byteLength, factorBytes, limit)) {
          // Cannot travel inline: the endpoint rebuilds the exact fusion from its cached sources, so
          // fusing here would be wasted work.
          reference = catManifestReference(sources);
          fusionInfo = { options: options.fusion, at: "backend", cached: false };
        } else {
          // Every adapter goes through the fusion, even alone: it folds each one's scaling into the
          // factors, which is the form the backend applies.
          const result = await timer.time("fuse", () => fused.fuse(loaded, options.fusion));
          fusionInfo = { options: options.fusion, at: "api", cached: result.cached };
          reference = await timer.time("transport", () =>
            adapterReference(
              { request, fused: result.adapter, combination: options.fusion.combination, sources },
              { ...(deps.store && { store: deps.store }), payloadLimitBytes: limit },
            ),
          );
        }
      }

      const response = await timer.time("infer", () =>
        deps.backend.infer(
          { ...request, adapter: reference },
          { ...(signal && { signal }), ...(deps.inferenceTimeoutMs !== undefined && { timeoutMs: deps.inferenceTimeoutMs }) },
        ),
      );
      return {
        library: lib,
        mode: options.mode,
        maskPng: response.maskPng,
        width: response.width,
        height: response.height,
        scores: response.scores,
        plan: retrieved?.plan ?? null,
        contributions: retrieved ? contributions(retrieved) : [],
        fusion: fusionInfo,
        adapter: response.adapter,
        timings: { stages: timer.finish(), backend: response.timings },
      };
    },
  };
}

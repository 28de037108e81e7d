import type { AdapterSource, Adapters, Mixture } from "@semla/adapters";
import type { coverage, fusion, LoraAdapter, routing } from "@semla/core";
import type { BackendResponse, ClassScore, Embedder, InferenceBackend, InferenceRequest } from "@semla/inference";
import { type Metrics, noopMetrics } from "@semla/observability";
import { type AdapterIndex, type AdapterRecord, type CoverageEventStore, type LibraryRecord, RegistryError, requireLibrary } from "@semla/registry";
import { SizedLru } from "@semla/storage";
import { bankLibrary } from "./bank-library.js";
import { type CoverageAnswer, coverageOf, createCalibrations } from "./coverage.js";
import { PipelineError } from "./errors.js";
import { ROUTE_DEFAULTS, type RouteOptions, SEGMENT_DEFAULTS, type SegmentMode, type SegmentOptions } from "./options.js";
import { type Retrieved, semlaPlan, singleAdapterPlan, uniformPlan } from "./retrieve.js";
import { StageTimer } from "./stage-timer.js";

export interface PipelineDeps {
  readonly index: AdapterIndex;
  readonly embedder: Embedder;
  /** Delivers the plan's mixture to the segmenter, each backend its own way (loading and fusing through the process's adapters). */
  readonly backend: InferenceBackend;
  /** The embedding model this service runs: libraries indexed with another one are refused. */
  readonly embeddingModelId?: string;
  /** Per inference call. Default: none (the backend's own). */
  readonly inferenceTimeoutMs?: number;
  /** The process's adapters unit (one cache): fuse() fuses through it. Without it fuse() is unavailable. */
  readonly adapters?: Adapters;
  /** Where out-of-library queries are kept (embedding and nearest adapters, no image) for coverage gaps; default nowhere. */
  readonly coverageEvents?: Pick<CoverageEventStore, "record">;
  /** Stage durations, plans' adapters and fused-cache hits are reported here. Default: counted nowhere. */
  readonly metrics?: Metrics;
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

/** Milliseconds per stage (embed, retrieve, then the backend's load, fuse, transport, infer; total), and the endpoint's own stages. */
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
  /** Names the request in what it leaves behind (an out-of-library event). */
  readonly requestId?: string;
  readonly signal?: AbortSignal;
}

export interface RouteResult {
  readonly library: LibraryRecord;
  readonly embedding: Float32Array;
  readonly plan: routing.FusionPlan;
  readonly contributions: readonly Contribution[];
  /** Whether the query is one of the library's domains; with the zeroshot policy, `fallback` says segment would serve the base model. */
  readonly coverage: CoverageAnswer;
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
  /** null in zero-shot mode, and when an out-of-library query fell back to it. An empty plan (nothing eligible) also runs zero-shot. */
  readonly plan: routing.FusionPlan | null;
  readonly contributions: readonly Contribution[];
  /** Routed modes (semla, uniform) only: whether the image is one of the library's domains, and what the policy did. */
  readonly coverage: CoverageAnswer | null;
  /**
   * How the plan's adapters were combined; where (in this process — always with the local backend —
   * or by the SageMaker endpoint from a cat manifest when the fused adapter cannot travel inline);
   * and whether the fused adapter came from the cache.
   */
  readonly fusion: { readonly options: fusion.FusionOptions; readonly at: "api" | "backend"; readonly cached: boolean } | null;
  /** How the adapter reached the segmenter (in-process, or a reference's kind), and whether it was cached there. */
  readonly adapter: BackendResponse["adapter"];
  readonly timings: PipelineTimings;
}

/**
 * A library's centroids are comparable only with embeddings of the image encoder it was indexed with:
 * embedding, routing or segmenting for it with another encoder is refused, naming both.
 */
export function checkEmbeddingModel(library: Pick<LibraryRecord, "id" | "name" | "embeddingModelId">, embeddingModelId: string): void {
  if (library.embeddingModelId === embeddingModelId) return;
  throw new PipelineError(
    "embedding-model-mismatch",
    `library ${library.name} (${library.id}) is indexed with ${library.embeddingModelId} embeddings; this service's image encoder is ${embeddingModelId}: serve it with that encoder's model pack, or use a library indexed with ${embeddingModelId}`,
    { library: library.embeddingModelId, service: embeddingModelId },
  );
}

/** What to fuse: routed as route() routes (an image or its embedding), or named adapters (id or name) with the caller's weights. */
export type FuseSelection = { readonly query: RouteInput["query"]; readonly options?: RouteOptions } | { readonly adapters: readonly { readonly adapter: string; readonly weight: number }[] };

export interface FuseInput {
  readonly tenant: string;
  readonly libraryId: string;
  readonly selection: FuseSelection;
  /** Parsed already: how the selected adapters are combined. */
  readonly fusion: fusion.FusionOptions;
  readonly signal?: AbortSignal;
}

export interface FuseResult {
  readonly library: LibraryRecord;
  /** The routed plan; null when the adapters and weights were given. */
  readonly plan: routing.FusionPlan | null;
  readonly contributions: readonly Contribution[];
  /** The fused adapter (each source's scaling folded into its factors) and its mixture's name (mixtureSha256). */
  readonly adapter: LoraAdapter;
  readonly sha256: string;
  readonly timings: Readonly<Record<string, number>>;
}

/** segment's first half (embed, retrieve, coverage, plan, the backend's request), for inference the backend runs later (jobs). */
export interface PreparedSegment {
  readonly library: LibraryRecord;
  readonly mode: SegmentMode;
  readonly fusionOptions: fusion.FusionOptions;
  /** null in zero-shot mode, and when an out-of-library query fell back to it (as SegmentResult's). */
  readonly plan: routing.FusionPlan | null;
  readonly contributions: readonly Contribution[];
  /** As SegmentResult's: routed modes only. */
  readonly coverage: CoverageAnswer | null;
  /** What to hand the backend (infer now, or its async path). */
  readonly request: InferenceRequest;
  /** The stages so far; finish() it after the backend's. */
  readonly timer: StageTimer;
}

export interface Pipeline {
  embed(image: Uint8Array, options?: { signal?: AbortSignal }): Promise<{ embedding: Float32Array; timings: Readonly<Record<string, number>> }>;
  route(input: RouteInput): Promise<RouteResult>;
  segment(input: SegmentInput): Promise<SegmentResult>;
  /**
   * segment up to the backend: everything the API does before inference, coverage included (refuse
   * throws pipeline.out-of-library here too), for jobs, which defer the rest to the backend's queue.
   */
  prepareSegment(input: SegmentInput): Promise<PreparedSegment>;
  /** A fused adapter to take away: the selected adapters combined as the segment route would combine them. */
  fuse(input: FuseInput): Promise<FuseResult>;
}

/**
 * The request pipeline: embed → retrieve (pgvector) → plan → the backend, which delivers the plan's
 * mixture (load, fuse, transport: its own business, timed as stages here) and infers. The API's
 * routes and `semla eval` both go through it, so what is evaluated is what is served.
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  // Rows are immutable in what loading needs (sha256, object key, config): cache them by id.
  const rows = new SizedLru<string, AdapterRecord>(10_000);
  const metrics = deps.metrics ?? noopMetrics;
  const newTimer = () => new StageTimer((stage, ms) => metrics.stage(stage, ms / 1000));
  /** A plan's adapters, by id (names change; ids do not, and say nothing of another tenant's). */
  const selected = (lib: LibraryRecord, plan: routing.FusionPlan) =>
    metrics.selection(
      lib.id,
      plan.adapters.map((a) => ({ adapter: a.id, weight: a.weight })),
    );

  async function library(tenant: string, id: string): Promise<LibraryRecord> {
    const found = await requireLibrary(deps.index, tenant, id);
    if (deps.embeddingModelId !== undefined) checkEmbeddingModel(found, deps.embeddingModelId);
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

  /** The plan's adapters as stored (sha256, object key, config) with their weights. */
  async function sources(tenant: string, retrieved: Retrieved): Promise<AdapterSource[]> {
    return Promise.all(
      retrieved.plan.adapters.map(async (planned) => {
        const row = await record(tenant, planned.id, retrieved);
        return { sha256: row.sha256, objectKey: row.objectKey, config: row.config, weight: planned.weight };
      }),
    );
  }

  const calibrations = createCalibrations(deps.index);

  /**
   * The routed query's coverage under the request's policy (default the library's): refuse throws
   * pipeline.out-of-library (422) with the coverage; zeroshot marks the answer as a fallback.
   */
  async function covered(
    tenant: string,
    lib: LibraryRecord,
    embedding: Float32Array,
    retrieved: Retrieved,
    requested: coverage.CoveragePolicy | undefined,
    requestId: string | undefined,
  ): Promise<CoverageAnswer> {
    const policy = requested ?? lib.coveragePolicy;
    const [calibration, planned] = await Promise.all([calibrations(lib), Promise.all(retrieved.plan.adapters.map((a) => record(tenant, a.id, retrieved)))]);
    const { coverage: found, measured } = coverageOf(lib, embedding, retrieved.plan, planned, calibration);
    const out = found.status === "out-of-library";
    if (out) {
      metrics.outOfLibrary(lib.id);
      // Kept whatever the policy does with it (a refused query is a gap too); before any refusal.
      await deps.coverageEvents?.record({
        libraryId: lib.id,
        requestId: requestId ?? "",
        embedding,
        nearest: measured.map((m) => ({ adapterId: m.adapterId, distance: m.distance })),
        score: found.score ?? 0,
      });
    }
    if (out && policy === "refuse") {
      throw new PipelineError(
        "out-of-library",
        `the image is outside library ${lib.name}'s coverage: its best-covering adapter is ${found.score?.toFixed(2)}× its calibrated radius away (nearest distance ${found.nearestDistance?.toFixed(4)}, radius ${found.threshold?.toFixed(4)}); ask with coverage "fuse" to fuse the nearest adapters anyway, or "zeroshot" for the base model`,
        { coverage: { ...found, policy } },
      );
    }
    return { ...found, policy, fallback: out && policy === "zeroshot" };
  }

  function contributions(retrieved: Retrieved): Contribution[] {
    return retrieved.plan.adapters.map((a) => {
      const named = retrieved.names.get(a.id);
      return { adapterId: a.id, name: named?.name ?? a.id, version: named?.version ?? 0, rank: a.rank, distance: a.distance, similarity: a.similarity, weight: a.weight };
    });
  }

  const pipeline: Pipeline = {
    async embed(image, options = {}) {
      const timer = newTimer();
      const embedding = await timer.time("embed", () => embedOne(image, options.signal));
      return { embedding, timings: timer.finish() };
    },

    async route(input) {
      const timer = newTimer();
      const options = input.options ?? ROUTE_DEFAULTS;
      const { query } = input;
      const [lib, embedding] =
        "embedding" in query ? [await library(input.tenant, input.libraryId), query.embedding] : await libraryAndEmbedding(input.tenant, input.libraryId, query.image, timer, input.signal);
      const [retrieved, coverage] = await timer.time("retrieve", async () => {
        const found = await semlaPlan(deps.index, lib, embedding, options);
        return [found, await covered(input.tenant, lib, embedding, found, options.coverage, input.requestId)] as const;
      });
      selected(lib, retrieved.plan);
      return { library: lib, embedding, plan: retrieved.plan, contributions: contributions(retrieved), coverage, timings: timer.finish() };
    },

    async prepareSegment(input) {
      const timer = newTimer();
      const options = input.options ?? SEGMENT_DEFAULTS;
      const { signal } = input;

      const routed = options.mode === "semla" || options.mode === "uniform";
      const [lib, embedding] = routed ? await libraryAndEmbedding(input.tenant, input.libraryId, input.image, timer, signal) : [await library(input.tenant, input.libraryId), undefined];

      let retrieved: Retrieved | null = null;
      let coverage: CoverageAnswer | null = null;
      if (embedding) {
        const plan = options.mode === "semla" ? semlaPlan : uniformPlan;
        [retrieved, coverage] = await timer.time("retrieve", async () => {
          const found = await plan(deps.index, lib, embedding, options);
          return [found, await covered(input.tenant, lib, embedding, found, options.coverage, input.requestId)] as const;
        });
        if (coverage.fallback) retrieved = null;
      } else if (options.mode === "adapter") {
        const adapter = options.adapter as string; // required for this mode by the schema
        retrieved = await timer.time("retrieve", () => singleAdapterPlan(deps.index, lib, adapter));
      }

      if (retrieved) selected(lib, retrieved.plan);
      let mixture: Mixture | null = null;
      if (retrieved && retrieved.plan.adapters.length > 0) mixture = { sources: await sources(input.tenant, retrieved), options: options.fusion };
      return {
        library: lib,
        mode: options.mode,
        fusionOptions: options.fusion,
        plan: retrieved?.plan ?? null,
        contributions: retrieved ? contributions(retrieved) : [],
        coverage,
        request: {
          image: input.image,
          classNames: input.classNames,
          mixture,
          ...(input.requestId !== undefined && { requestId: input.requestId }),
          ...(mixture && { library: bankLibrary(deps.index, lib) }),
        },
        timer,
      };
    },

    async segment(input) {
      const { timer, request, ...planned } = await pipeline.prepareSegment(input);
      const { signal } = input;
      const response = await deps.backend.infer(request, {
        stage: (name, work) => timer.time(name, work),
        ...(signal && { signal }),
        ...(deps.inferenceTimeoutMs !== undefined && { timeoutMs: deps.inferenceTimeoutMs }),
      });
      if (response.fusion) metrics.fusedCache(response.fusion.cached);
      return {
        library: planned.library,
        mode: planned.mode,
        maskPng: response.maskPng,
        width: response.width,
        height: response.height,
        scores: response.scores,
        plan: planned.plan,
        contributions: planned.contributions,
        coverage: planned.coverage,
        fusion: response.fusion && { options: planned.fusionOptions, ...response.fusion },
        adapter: response.adapter,
        timings: { stages: timer.finish(), backend: response.timings },
      };
    },

    async fuse(input) {
      if (!deps.adapters) throw new Error("this pipeline was made without the adapters unit: fuse() needs it");
      const timer = newTimer();
      const { selection, signal } = input;
      let lib: LibraryRecord;
      let plan: routing.FusionPlan | null = null;
      let picked: { record: AdapterRecord; contribution: Contribution }[];
      if ("query" in selection) {
        const { query } = selection;
        let embedding: Float32Array;
        [lib, embedding] =
          "embedding" in query ? [await library(input.tenant, input.libraryId), query.embedding] : await libraryAndEmbedding(input.tenant, input.libraryId, query.image, timer, signal);
        const retrieved = await timer.time("retrieve", () => semlaPlan(deps.index, lib, embedding, selection.options ?? ROUTE_DEFAULTS));
        if (retrieved.plan.adapters.length === 0) {
          throw new PipelineError("nothing-to-fuse", `library ${lib.id} has no eligible adapter to fuse (empty, or every adapter excluded)`, { libraryId: lib.id });
        }
        plan = retrieved.plan;
        const rows = await Promise.all(retrieved.plan.adapters.map((a) => record(input.tenant, a.id, retrieved)));
        const explained = contributions(retrieved);
        picked = rows.map((row, i) => ({ record: row, contribution: explained[i]! }));
      } else {
        lib = await library(input.tenant, input.libraryId);
        const found = await timer.time("retrieve", () => Promise.all(selection.adapters.map((a) => singleAdapterPlan(deps.index, lib, a.adapter))));
        picked = found.map((one, i) => {
          const row = [...one.records.values()][0] as AdapterRecord;
          return { record: row, contribution: { adapterId: row.id, name: row.name, version: row.version, rank: i + 1, distance: null, similarity: null, weight: selection.adapters[i]!.weight } };
        });
        const ids = picked.map((p) => p.record.id);
        const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
        if (repeated !== undefined) throw new PipelineError("invalid-options", `adapter ${repeated} is given more than once: give each adapter once, with its whole weight`, { adapterId: repeated });
      }
      const mixture: Mixture = {
        sources: picked.map(({ record: row, contribution }) => ({ sha256: row.sha256, objectKey: row.objectKey, config: row.config, weight: contribution.weight })),
        options: input.fusion,
      };
      const adapters = deps.adapters;
      const fused = await adapters.fuse(mixture, { stage: (name, work) => timer.time(name, work), ...(signal && { signal }) });
      return { library: lib, plan, contributions: picked.map((p) => p.contribution), adapter: fused.adapter, sha256: fused.sha256, timings: timer.finish() };
    },
  };
  return pipeline;
}

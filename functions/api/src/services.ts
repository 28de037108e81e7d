import { createAdapters } from "@semla/adapters";
import { centroidOfImages } from "@semla/inference";
import type { ModelPack } from "@semla/models";
import { createLogger, errorFields, type Logger } from "@semla/observability";
import { createPrometheusMetrics } from "@semla/observability/prometheus";
import { checkEmbeddingModel } from "@semla/pipeline";
import { type ContributionStore, createApiKeyStore, createContributionStore, createCoverageEventStore, createJobStore, type DrizzleAdapterIndex, pingDatabase } from "@semla/registry";
import { locateModels, openBackend, openPipeline, openRegistry, openSageMakerBackend, publicUrlOf, type Registry, type ServiceConfig } from "@semla/service";
import type { AppDeps } from "./app.js";
import { recordAfterAnswer } from "./contributions/after-answer.js";
import { createJobRunner } from "./jobs/runner.js";
import type { JobsDeps } from "./routes/jobs.js";
import type { ServedModels } from "./routes/models.js";

export { openRegistry, openSageMakerBackend, publicUrlOf, type Registry };

export interface Services extends AppDeps {
  readonly index: DrizzleAdapterIndex;
  readonly models: ModelPack;
  readonly jobs: JobsDeps;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** An opened registry to run on (the embedded default seeds it first); else opened here. */
  readonly registry?: Registry;
  /** Models to run instead of locating them (the embedded default passes its demo library's). */
  readonly models?: ModelPack;
  readonly logger?: Logger;
  /** Where the API is reached: the filesystem store's presigned URLs point at it. Default publicUrlOf(config). */
  readonly publicUrl?: string;
  /**
   * Record a segment answer's contributions after answering (default true: the answer does not wait
   * for the INSERT); false awaits the write before answering, for hosts that freeze a process once
   * it has answered (Lambda).
   */
  readonly contributionsAfterAnswer?: boolean;
}

/** A pack as GET /v1/models states it. */
function servedModels(pack: ModelPack): ServedModels {
  const text = pack.textEncoder;
  return {
    name: pack.manifest.name ?? null,
    imageEncoder: { id: pack.imageEncoder.id, dimension: pack.imageEncoder.dimension },
    textEncoder: text ? { kind: text.kind, dimension: text.dimension, classes: text.kind === "table" ? [...text.names] : null } : null,
    segmenter: pack.segmenter ? { id: pack.segmenter.id, loraModules: pack.segmenter.loraModules.map((m) => ({ name: m.name, in: m.inFeatures, out: m.outFeatures })) } : null,
  };
}

/** Everything the app runs on, from the configuration (@semla/service's open… functions): production services or the embedded ones. */
export async function createServices(config: ServiceConfig, options: ServiceOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.SEMLA_LOG_LEVEL);
  const { index, store, presignSecret: secret } = options.registry ?? (await openRegistry(config, options.publicUrl ?? publicUrlOf(config)));
  const closers: (() => Promise<void>)[] = [() => index.close()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const models =
      options.models ??
      (await locateModels({
        ...(config.SEMLA_MODELS_DIR !== undefined && { dir: config.SEMLA_MODELS_DIR, required: true }),
        store,
        prefix: config.SEMLA_MODELS_PREFIX,
        preset: config.SEMLA_MODEL_PRESET,
        log: (message, fields) => logger.log("info", message, fields),
      }));
    // One per process: every path that needs an adapter goes through it (one cache).
    const adapters = createAdapters({ store });
    // One registry per app (never prom-client's global one): two services in one process count apart.
    const metrics = createPrometheusMetrics();
    metrics.watchAdapterCache(() => adapters.stats());
    const backend = await openBackend(config, { models, store, adapters, metrics });
    closers.push(() => backend.close());
    const coverageEvents = createCoverageEventStore(index.db);
    const { pipeline, embedder, close: closePipeline } = await openPipeline({ models, index, store, backend, adapters, metrics, coverageEvents });
    closers.push(closePipeline);
    let contributions: ContributionStore = createContributionStore(index.db);
    if (options.contributionsAfterAnswer !== false) {
      const afterAnswer = recordAfterAnswer(contributions, (error) => logger.log("error", "contributions not recorded", errorFields(error)));
      // Runs before the index closes (closers run last first): the writes still owed reach the database.
      closers.push(() => afterAnswer.settled());
      contributions = afterAnswer;
    }
    const jobStore = createJobStore(index.db);
    const webhookSecret = config.SEMLA_JOBS_WEBHOOK_SECRET;
    const jobs: JobsDeps = {
      store: jobStore,
      // SageMaker's asynchronous invocations where the backend has them; else each image runs here.
      runner: createJobRunner({
        jobs: jobStore,
        store,
        pipeline,
        ...(backend.async ? { async: backend.async } : {}),
        contributions,
        logger,
        ...(webhookSecret ? { webhookSecret } : {}),
        webhookAllowPrivate: config.SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE,
      }),
      retentionSeconds: config.SEMLA_JOBS_RETENTION_SECONDS,
      webhookAllowPrivate: config.SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE,
      ...(webhookSecret ? { webhookSecret } : {}),
    };
    return {
      index,
      store,
      models,
      apiKeys: createApiKeyStore(index.db),
      contributions,
      coverageEvents,
      jobs,
      logger,
      bodyLimitBytes: config.SEMLA_BODY_LIMIT_BYTES,
      ...(config.SEMLA_CORS_ORIGINS ? { corsOrigins: config.SEMLA_CORS_ORIGINS } : {}),
      ...(secret ? { presignSecret: secret } : {}),
      ...(config.SEMLA_ADMIN_TOKEN_SHA256 ? { adminTokenSha256: config.SEMLA_ADMIN_TOKEN_SHA256 } : {}),
      pipeline,
      centroidOfImages: (images, library) => {
        // Sample images of a library indexed with another encoder would give centroids it cannot compare.
        checkEmbeddingModel(library, models.imageEncoder.id);
        return centroidOfImages(embedder, images, { strict: true });
      },
      baseModelModules: (baseModelId) => (models.segmenter?.id === baseModelId ? models.segmenter.loraModules : undefined),
      servedModels: servedModels(models),
      metrics,
      // With a port of its own, /metrics is served there (server.ts), not on the API's.
      metricsAccess: config.SEMLA_METRICS_PORT === undefined ? config.SEMLA_METRICS : "off",
      readiness: {
        database: () => pingDatabase(index.db),
        // A key nothing is stored under: any answer (found or not) is the store answering.
        store: () => store.head(".semla-readyz"),
        backend: async () => backend.ready?.(),
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

import type { ModuleShape } from "@semla/core";
import type { Logger } from "@semla/observability";
import type { AdapterIndex, ApiKeyStore, ContributionStore } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import type { ExposedMetrics, MetricsAccess } from "../routes/metrics.js";
import type { ServedModels } from "../routes/models.js";
import type { Readiness } from "../routes/ready.js";

/** What the routes run on: the registry, and the stores that share its database. */
export interface ApiDeps {
  readonly index: AdapterIndex;
  readonly store: BlobStore;
  readonly apiKeys: ApiKeyStore;
  readonly contributions: ContributionStore;
  readonly logger: Logger;
  /** Largest request body in bytes (Lambda's 6 MB by default). */
  readonly bodyLimitBytes: number;
  /**
   * Largest answer body in bytes, where the host bounds it (Lambda: 6 MB); default LIMITS.fusedAdapterBytes.
   * Only answers that can grow past it check it (POST /v1/fuse).
   */
  readonly answerLimitBytes?: number;
  /** HMAC key of the filesystem store's presigned URLs: the API itself serves their PUTs. */
  readonly presignSecret?: string;
  /** sha256 of the token the admin routes accept; absent: they are off. */
  readonly adminTokenSha256?: string;
  /** The LoRA-targetable modules of the base models served here (the model pack's segmenter): uploads for them are checked against these. */
  readonly baseModelModules?: (baseModelId: string) => readonly ModuleShape[] | undefined;
  /** Browser origins allowed to call the API (CORS; `*` for any); absent or empty: CORS is off. */
  readonly corsOrigins?: readonly string[];
  /** The served model pack, as GET /v1/models states it. */
  readonly servedModels?: ServedModels;
  /** Where requests are counted, and GET /metrics's exposition; absent: nothing is counted, and no /metrics. */
  readonly metrics?: ExposedMetrics;
  /** Who may read GET /metrics here (SEMLA_METRICS); default `key`. */
  readonly metricsAccess?: MetricsAccess;
  /** The dependencies GET /readyz checks; absent: none (ready whenever the process serves). */
  readonly readiness?: Readiness;
}

/** Hono's per-request variables: set by the request-id and auth middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    tenant: string;
  };
}

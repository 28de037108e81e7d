import { describeIssues } from "@semla/core";
import { z } from "zod";

/**
 * The service's configuration, from the environment: the API, the CLI, eval and the sweep parse it
 * here (the endpoint reads its store settings through StoreSettingsSchema). The deployed function's
 * variables are set in infra/api.ts; the README's HTTP API section lists them all. The database is
 * PostgreSQL (SEMLA_DATABASE_URL), Aurora through its Data API (SEMLA_DATA_API_*), or, with neither,
 * PGlite; with no bucket either, that is the embedded default (a filesystem store under SEMLA_DATA_DIR).
 */
const optional = z
  .string()
  .transform((value) => (value.trim() === "" ? undefined : value.trim()))
  .optional();

/** The object store: S3 (SEMLA_BUCKET, SEMLA_S3_ENDPOINT for an S3-compatible server), read by the API and the endpoint alike. */
export const StoreSettingsSchema = z.object({
  SEMLA_BUCKET: optional,
  SEMLA_S3_ENDPOINT: optional.pipe(z.url().optional()),
});

/** An Aurora cluster's ARN, and the Secrets Manager secret the Data API reads its credentials from. */
const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[A-Za-z][A-Za-z0-9-]*$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

export const ConfigSchema = z
  .object({
    SEMLA_DATABASE_URL: optional.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    /**
     * Aurora through its Data API (HTTPS and IAM, no VPC), instead of SEMLA_DATABASE_URL: the
     * cluster's ARN, the secret with the database user's credentials, and the database's name.
     */
    SEMLA_DATA_API_RESOURCE_ARN: optional.pipe(z.string().regex(CLUSTER_ARN, "an Aurora cluster ARN (arn:aws:rds:REGION:ACCOUNT:cluster:NAME)").optional()),
    SEMLA_DATA_API_SECRET_ARN: optional.pipe(z.string().regex(SECRET_ARN, "a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)").optional()),
    SEMLA_DATA_API_DATABASE: optional.pipe(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, "a PostgreSQL database name")
        .optional(),
    ),
    /** A Data API URL other than the region's (the loopback Data API, in tests). */
    SEMLA_DATA_API_URL: optional.pipe(z.url().optional()),
    ...StoreSettingsSchema.shape,
    SEMLA_BACKEND: z.enum(["local", "sagemaker"]).default("local"),
    SEMLA_SAGEMAKER_ENDPOINT: optional,
    SEMLA_SAGEMAKER_INFERENCE_COMPONENT: optional,
    /** The endpoint with an AsyncInferenceConfig that runs jobs (InvokeEndpointAsync names no inference component); default SEMLA_SAGEMAKER_ENDPOINT. */
    SEMLA_SAGEMAKER_ASYNC_ENDPOINT: optional,
    /** A SageMaker runtime URL other than the region's (the reference endpoint on loopback, in tests). */
    SEMLA_SAGEMAKER_URL: optional.pipe(z.url().optional()),
    /**
     * How long one inference may take: per attempt with SageMaker, in all with the local backend.
     * Below the API function's own timeout (60 s), so a hung endpoint answers 504 backend.timeout.
     */
    SEMLA_BACKEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(900_000).default(30_000),
    /** SageMaker invocations in all, retrying throttling, 5xx and an unreachable endpoint (never a time-out). */
    SEMLA_BACKEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    /**
     * While the SageMaker inference component has no copies (scaled to zero), POST /v1/segment answers
     * 503 backend.scaling-from-zero at once with this Retry-After (seconds): the GPU takes minutes.
     */
    SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
    /**
     * Asynchronous jobs (POST /v1/jobs): their results (and their objects under jobs/ in the bucket)
     * expire this long after submission (the bucket's lifecycle rule on jobs/ removes what is left a
     * day later).
     */
    SEMLA_JOBS_RETENTION_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(7 * 86_400),
    /** HMAC-SHA256 key of the jobs' webhook signatures (Semla-Signature); unset: webhooks are refused. */
    SEMLA_JOBS_WEBHOOK_SECRET: optional.pipe(z.string().min(16, "at least 16 characters").optional()),
    /**
     * Webhooks to private, loopback or link-local addresses (the service's own network, the cloud's
     * metadata service) are refused unless this is true: for a receiver inside the network, or a test's.
     */
    SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
    /** The Node server advances jobs (submits, collects, calls webhooks, expires) this often; 0: only when a job is read. */
    SEMLA_JOBS_POLL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
    /** Getting a PostgreSQL connection gives up after this (20 s: a paused Aurora cluster resumes in ~15 s). */
    SEMLA_DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
    /** PostgreSQL cancels a statement after this (statement_timeout). */
    SEMLA_DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    /** The embedded/Node server sweeps what interrupted uploads left (pending rows, orphan objects) at start and this often; 0: never. */
    SEMLA_SWEEP_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(15 * 60_000),
    /** A model pack's folder (semla-models.json beside its model files; README, "Model packs"): served instead of the bucket's or the generated models. */
    SEMLA_MODELS_DIR: optional,
    /** Where the deployed API finds its model pack in the bucket (copied to /tmp and verified on a cold start). */
    SEMLA_MODELS_PREFIX: z.string().default("models/clip-vision/"),
    /**
     * Models to generate (random weights) when none are under SEMLA_MODELS_PREFIX. Unset: a bucket
     * without models is a configuration error (a deployment never serves random weights by accident),
     * and the filesystem store (local runs) generates "tiny".
     */
    SEMLA_MODEL_PRESET: z.enum(["tiny", "b16", "l14"]).optional(),
    /**
     * Apply pending migrations when the API starts. The deployed stack runs them once per deploy in
     * its migrator function and turns this off, so the API's database user needs no DDL rights.
     */
    SEMLA_MIGRATE: z.stringbool().default(true),
    SEMLA_DATA_DIR: z.string().min(1).default(".semla"),
    /** The embedded default's demo library: the synthetic world "demo" (fitted in seconds on first start) or the smaller "tiny". */
    SEMLA_WORLD: z.enum(["demo", "tiny"]).default("demo"),
    /**
     * sha256 (hex) of the admin token that may call /v1/admin/* (API keys of every tenant, sweep).
     * Unset: the admin routes are off. The embedded default makes its own (SEMLA_DATA_DIR/admin-token).
     */
    SEMLA_ADMIN_TOKEN_SHA256: optional.pipe(
      z
        .string()
        .regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits (sha256)")
        .optional(),
    ),
    SEMLA_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /**
     * Who may read GET /metrics (Prometheus text) on the API's port: `key` any tenant's API key (series
     * are service-wide, naming libraries and adapters by id only), `admin` the admin token, `open`
     * anyone, `off` nobody. With SEMLA_METRICS_PORT set they are served there instead, open, and the
     * API's port serves none.
     */
    SEMLA_METRICS: z.enum(["key", "admin", "open", "off"]).default("key"),
    /** A port of its own for GET /metrics, open to whoever reaches it (a scraper inside the network); unset: the API's port. */
    SEMLA_METRICS_PORT: optional.pipe(z.coerce.number<string | undefined>().int().min(1).max(65535).optional()),
    /** Where the metrics port listens; default SEMLA_HOST. */
    SEMLA_METRICS_HOST: optional,
    /**
     * Traces over OTLP/HTTP to this collector (as OTEL_EXPORTER_OTLP_ENDPOINT, which wins when set):
     * a span per request and per stage, continued by the endpoint. Unset (and no OTEL_* endpoint): off.
     */
    SEMLA_OTLP_ENDPOINT: optional.pipe(z.url().optional()),
    SEMLA_HOST: z.string().min(1).default("127.0.0.1"),
    SEMLA_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Largest request body: Lambda's (and SageMaker's) 6 MB payload limit; larger files go by presigned upload. */
    SEMLA_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(6 * 1024 * 1024),
    /**
     * Browser origins allowed to call the API (CORS), comma-separated (`https://app.example.com,http://localhost:5173`,
     * or `*` for any). Unset: CORS is off (no Access-Control-* headers; browsers on other origins are refused).
     */
    SEMLA_CORS_ORIGINS: optional.pipe(
      z
        .string()
        .transform((value) =>
          value
            .split(",")
            .map((origin) => origin.trim())
            .filter((origin) => origin !== ""),
        )
        .pipe(z.array(z.union([z.literal("*"), z.url({ protocol: /^https?$/ }).refine((url) => new URL(url).origin === url, "an origin: scheme://host[:port], no path or trailing slash")])))
        .optional(),
    ),
    /** Where clients reach this API (presigned URLs of the filesystem store point at it). */
    SEMLA_PUBLIC_URL: optional.pipe(z.url().optional()),
    AWS_REGION: z.string().default("us-east-1"),
  })
  .superRefine((env, ctx) => {
    if (env.SEMLA_BACKEND === "sagemaker" && !env.SEMLA_SAGEMAKER_ENDPOINT) {
      ctx.addIssue({ code: "custom", path: ["SEMLA_SAGEMAKER_ENDPOINT"], message: "required when SEMLA_BACKEND=sagemaker" });
    }
    const dataApi = env.SEMLA_DATA_API_RESOURCE_ARN !== undefined || env.SEMLA_DATA_API_SECRET_ARN !== undefined || env.SEMLA_DATA_API_DATABASE !== undefined;
    if (dataApi) {
      for (const name of ["SEMLA_DATA_API_RESOURCE_ARN", "SEMLA_DATA_API_SECRET_ARN", "SEMLA_DATA_API_DATABASE"] as const) {
        if (env[name] === undefined) ctx.addIssue({ code: "custom", path: [name], message: "required with the other SEMLA_DATA_API_* settings (Aurora through the Data API)" });
      }
      if (env.SEMLA_DATABASE_URL !== undefined) {
        ctx.addIssue({ code: "custom", path: ["SEMLA_DATABASE_URL"], message: "set either SEMLA_DATABASE_URL or the SEMLA_DATA_API_* settings, not both" });
      }
    } else if (env.SEMLA_DATA_API_URL !== undefined) {
      ctx.addIssue({ code: "custom", path: ["SEMLA_DATA_API_URL"], message: "only with the SEMLA_DATA_API_* settings" });
    }
  });

export type ServiceConfig = z.output<typeof ConfigSchema>;
/** The API's name for the service configuration. */
export type ApiConfig = ServiceConfig;

export class ConfigError extends Error {}

/**
 * Which database a configuration names: PostgreSQL over a connection, Aurora through its Data API, or
 * none (the embedded default's PGlite). The one rule the CLI (serve, keys, sweep) and openRegistry follow.
 */
export function configuredDatabase(config: ServiceConfig): "postgres" | "data-api" | null {
  if (config.SEMLA_DATABASE_URL) return "postgres";
  if (config.SEMLA_DATA_API_RESOURCE_ARN && config.SEMLA_DATA_API_SECRET_ARN && config.SEMLA_DATA_API_DATABASE) return "data-api";
  return null;
}

export function parseConfig(env: Readonly<Record<string, string | undefined>>): ServiceConfig {
  const result = ConfigSchema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(`invalid configuration: ${describeIssues(result.error.issues)}`);
}

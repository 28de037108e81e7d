import path from "node:path";
import { bundleOrtWorker, copyConsoleBuild, copyDocsAssets, nativePackageVersions } from "./bundle";
import type { Database } from "./database";
import type { Endpoint } from "./endpoint";
import { API_BUCKET_ACCESS, bucketPermissions, invokeEndpointAsyncPermission, invokeEndpointPermission, lambdaOnlyTrust } from "./iam";
import type { JobsEndpoint } from "./jobs";
import { functionVpc, type Network } from "./network";
import { type LambdaArchitecture, pruneOnnxRuntime } from "./packaging";
import type { Secrets } from "./secrets";
import type { StageSettings } from "./settings";
import { PREFIXES, type Storage } from "./storage";

/** The Hono app's Lambda entry (functions/api/src/lambda.ts, `export const handler`). */
export const API_HANDLER = "functions/api/src/lambda.handler";
/** The jobs' scheduled round (functions/api/src/jobs/lambda.ts, `export async function handler`). */
export const JOBS_RUNNER_HANDLER = "functions/api/src/jobs/lambda.handler";
/** Node.js 20 reached its end of life in April 2026 (and Lambda deprecates its runtime); the code runs on 22. */
export const FUNCTION_RUNTIME = "nodejs22.x";
export const FUNCTION_ARCHITECTURE: LambdaArchitecture = "x86_64";

/**
 * The HTTP API: one function behind a function URL (no API Gateway: no per-request charge, the
 * same 6 MB payload limit the API enforces). Authentication is the app's own API keys, so the URL
 * itself is public. "vpc" mode: in the VPC for the database, S3 and SageMaker Runtime through VPC
 * endpoints. "data-api" mode: outside any VPC, the database through the Data API.
 */
export function createApi(
  settings: StageSettings,
  deps: { network: Network; database: Database; storage: Storage; endpoint: Endpoint; jobs: JobsEndpoint; secrets: Pick<Secrets, "jobsWebhookSecret"> },
) {
  const { network, database, storage, endpoint, jobs, secrets } = deps;
  /** What the API and the jobs runner share: the same services, so the same configuration and rights. */
  const service = (handler: string): sst.aws.FunctionArgs => ({
    handler,
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memory: `${settings.api.memoryMb} MB`,
    storage: `${settings.api.ephemeralStorageMb} MB`,
    ...functionVpc(network),
    logging: { retention: settings.logRetention },
    environment: {
      ...database.environment,
      SEMLA_BUCKET: storage.bucket.name,
      SEMLA_BACKEND: "sagemaker",
      SEMLA_SAGEMAKER_ENDPOINT: endpoint.endpoint.name,
      // The segmenter is the endpoint's inference component: requests name it.
      SEMLA_SAGEMAKER_INFERENCE_COMPONENT: endpoint.componentName,
      // Jobs: SageMaker Asynchronous Inference on the jobs endpoint, results kept this long.
      SEMLA_SAGEMAKER_ASYNC_ENDPOINT: jobs.endpoint.name,
      SEMLA_JOBS_RETENTION_SECONDS: String(settings.jobs.retentionDays * 86_400),
      // Webhooks are signed (each tenant with a secret derived from this one); private targets are refused.
      SEMLA_JOBS_WEBHOOK_SECRET: secrets.jobsWebhookSecret,
      SEMLA_MODELS_PREFIX: PREFIXES.clipVision,
      // /tmp is the only writable folder of a Lambda function.
      SEMLA_DATA_DIR: "/tmp/semla",
      SEMLA_LOG_LEVEL: "info",
      // The migrator function applies migrations once per deploy: the API never runs DDL.
      SEMLA_MIGRATE: "false",
    },
    permissions: [
      ...bucketPermissions(storage.bucket.arn, API_BUCKET_ACCESS),
      invokeEndpointPermission(endpoint.endpoint.arn, endpoint.componentArn),
      invokeEndpointAsyncPermission(jobs.arn),
      ...database.permissions,
    ],
    nodejs: {
      // Native packages cannot be bundled by esbuild: installed into the bundle's node_modules,
      // at the versions the code was tested with.
      install: nativePackageVersions(),
    },
    transform: { role: lambdaOnlyTrust },
    hook: {
      postbuild: async (dir) => {
        // Keep only the Lambda platform's onnxruntime binaries (the package ships all, ≈ 288 MB).
        await pruneOnnxRuntime(dir, FUNCTION_ARCHITECTURE);
        // SST bundles the handler alone; ONNX Runtime's worker thread needs its own file beside it.
        await bundleOrtWorker(path.join(dir, path.posix.dirname(handler)));
        // GET /docs serves Swagger UI's assets: copied beside the handler, where the route looks for them.
        await copyDocsAssets(path.join(dir, path.posix.dirname(handler)));
        // GET /console serves the web console's build: built if needed and copied beside the handler.
        await copyConsoleBuild(path.join(dir, path.posix.dirname(handler)));
      },
    },
  });
  const api = new sst.aws.Function("Api", { ...service(API_HANDLER), timeout: `${settings.api.timeoutSeconds} seconds`, url: true });
  // Jobs advance (and their webhooks fire) on a schedule, not only when a client reads them. A run
  // with no active job lists the bucket's jobs/active/ and stops: the database stays paused.
  const jobsRunner = new sst.aws.Function("JobsRunner", { ...service(JOBS_RUNNER_HANDLER), timeout: "5 minutes" });
  const jobsCron = new sst.aws.Cron("JobsRound", { function: jobsRunner.arn, schedule: settings.jobs.runnerSchedule });
  return { api, jobsRunner, jobsCron };
}

export type Api = ReturnType<typeof createApi>;

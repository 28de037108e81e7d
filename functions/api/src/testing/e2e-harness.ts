// Test harness (not exported): the API as a real HTTP server on real PostgreSQL + pgvector, an S3
// bucket on s3rver and the reference endpoint over HTTP as its SageMaker backend.
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { createAdapters } from "@semla/adapters";
import { createEndpointApp } from "@semla/endpoint";
import { type RunningServer as EndpointServer, startEndpointServer } from "@semla/endpoint/server";
import { AsyncInferenceQueue, type InferenceComponentCapacity, sageMakerFront } from "@semla/endpoint/testing";
import { OnnxSegmenter } from "@semla/inference";
import type { ModelPack } from "@semla/models";
import { createLogger } from "@semla/observability";
import { createScratchDatabase } from "@semla/registry/testing";
import { locateModels, parseConfig } from "@semla/service";
import { type BlobStore, createS3BlobStore } from "@semla/storage";
import { createApp } from "../app.js";
import { type RunningServer, startServer } from "../server.js";
import { createServices, type Services } from "../services.js";

export interface E2eStack {
  readonly url: string;
  readonly services: Services;
  readonly models: ModelPack;
  /** The bucket, as the API and the endpoint see it: to assert what was (not) left behind. */
  readonly store: BlobStore;
  readonly logs: string[];
  /** The API's environment (without the port): to start another API process on the same services. */
  readonly env: Readonly<Record<string, string>>;
  /** The endpoint's asynchronous invocations (with options.asyncInference). */
  readonly asyncQueue: AsyncInferenceQueue | undefined;
  /** A fresh tenant with its API key. */
  tenant(name?: string): Promise<{ tenant: string; key: string }>;
  close(): Promise<void>;
}

export interface E2eStackOptions {
  /** The PostgreSQL server (a scratch database is made on it) and the S3 endpoint the API uses. */
  readonly postgresUrl: string;
  readonly s3Endpoint: string;
  readonly bodyLimitBytes?: number;
  /** The admin routes' token (its sha256); unset, they are off. */
  readonly adminTokenSha256?: string;
  /** More of the API's environment (time-outs, attempts). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the API reaches the endpoint, given where it listens (a proxy in front of it); default there. */
  readonly sagemakerUrl?: (endpointUrl: string) => Promise<string>;
  /** The endpoint hosts the segmenter as this inference component, with these copies (the API names it in each invocation). */
  readonly inferenceComponent?: { readonly name: string; readonly capacity: InferenceComponentCapacity };
  /** The endpoint config has an AsyncInferenceConfig (output under jobs/output/, failures under jobs/failures/), with these instances at start. */
  readonly asyncInference?: { readonly instances: number };
}

export async function startE2eStack(options: E2eStackOptions): Promise<E2eStack> {
  // s3rver and the SDK's SageMaker client accept any credentials; the SDK needs some.
  process.env.AWS_ACCESS_KEY_ID ??= "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY ??= "S3RVER";
  // The generated tiny models, located as the services locate them (no bucket models: the preset's).
  const models = await locateModels({ preset: "tiny", log: () => {} });
  const database = await createScratchDatabase(options.postgresUrl);
  const bucket = `semla-api-${randomBytes(5).toString("hex")}`;
  const s3 = new S3Client({ endpoint: options.s3Endpoint, region: "us-east-1", forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const store = createS3BlobStore({ client: s3, bucket });

  const segmenter = await OnnxSegmenter.fromPack(models, { executionProviders: ["cpu"], workers: 1 });
  const endpointApp = createEndpointApp({ segmenter, adapters: createAdapters({ store }), ready: () => true, logger: createLogger("error", () => {}) });
  const asyncQueue = options.asyncInference ? new AsyncInferenceQueue({ store, bucket, outputPrefix: "jobs/output/", failurePrefix: "jobs/failures/" }, options.asyncInference.instances) : undefined;
  const front = sageMakerFront(endpointApp, { ...(options.inferenceComponent ? { capacity: options.inferenceComponent.capacity } : {}), ...(asyncQueue ? { asyncInference: asyncQueue } : {}) });
  const endpoint: EndpointServer = await startEndpointServer(front, {
    port: 0,
    hostname: "127.0.0.1",
  });

  const logs: string[] = [];
  const env = {
    SEMLA_DATABASE_URL: database.url,
    SEMLA_BUCKET: bucket,
    SEMLA_S3_ENDPOINT: options.s3Endpoint,
    SEMLA_BACKEND: "sagemaker",
    SEMLA_SAGEMAKER_ENDPOINT: "semla",
    ...(options.inferenceComponent ? { SEMLA_SAGEMAKER_INFERENCE_COMPONENT: options.inferenceComponent.name } : {}),
    SEMLA_SAGEMAKER_URL: options.sagemakerUrl ? await options.sagemakerUrl(endpoint.url) : endpoint.url,
    SEMLA_BODY_LIMIT_BYTES: String(options.bodyLimitBytes ?? 6 * 1024 * 1024),
    SEMLA_LOG_LEVEL: "info",
    ...(options.adminTokenSha256 ? { SEMLA_ADMIN_TOKEN_SHA256: options.adminTokenSha256 } : {}),
    ...options.env,
  };
  const config = parseConfig(env);
  const services = await createServices(config, { models, logger: createLogger("info", (line) => void logs.push(line)) });
  const server: RunningServer = await startServer(createApp(services), { port: 0 });
  let tenants = 0;
  return {
    url: server.url,
    services,
    models,
    store,
    logs,
    env,
    asyncQueue,
    async tenant(name = `tenant-${++tenants}-${randomBytes(3).toString("hex")}`) {
      const { key } = await services.apiKeys.create(name, "e2e");
      return { tenant: name, key };
    },
    async close() {
      await server.close();
      await services.close();
      await asyncQueue?.idle();
      await endpoint.close();
      await segmenter.close();
      await database.drop();
      s3.destroy();
    },
  };
}

/** Every key under prefix (for "nothing was left behind"). */
export async function keysUnder(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}

import { createRoute, z } from "@hono/zod-openapi";
import { SIGNATURE_HEADER } from "@semla/client";
import { LIMITS, text, textProblem } from "@semla/core";
import { ClassNamesSchema } from "@semla/inference";
import { SegmentOptionsSchema } from "@semla/pipeline";
import { type JobStore, requireLibrary } from "@semla/registry";
import { BlobNotFoundError } from "@semla/storage";
import type { ApiDeps } from "../http/env.js";
import { ApiError } from "../http/errors.js";
import { AUTH, errorResponses, UuidParam } from "../http/openapi.js";
import { newRouter } from "../http/router.js";
import { ItemsSchema, jobMaskKey } from "../jobs/job-items.js";
import { jobView } from "../jobs/job-view.js";
import type { JobRunner } from "../jobs/runner.js";
import { submitJob, tenantImagesPrefix } from "../jobs/submit.js";
import { tenantWebhookSecret } from "../jobs/tenant-secret.js";
import { type Lookup, webhookTargetProblem } from "../jobs/webhook-target.js";
import type { UploadStore } from "../uploads/upload-store.js";
import { ImageInputShape } from "./image-input.js";

/** What the jobs routes run on (the services make it; absent, they answer 501). */
export interface JobsDeps {
  readonly store: JobStore;
  readonly runner: JobRunner;
  readonly retentionSeconds: number;
  /** The service's webhook secret; absent: webhooks are refused. */
  readonly webhookSecret?: string;
  /** Webhooks to private, loopback and link-local addresses are refused unless this is true (SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE). */
  readonly webhookAllowPrivate: boolean;
  /** How webhook hosts are resolved (tests); default the system's resolver. */
  readonly lookup?: Lookup;
}

const IdempotencyKey = text().min(1).max(LIMITS.idempotencyKey);

const JobRequestSchema = z
  .strictObject({
    libraryId: text(),
    classNames: ClassNamesSchema.describe("Open vocabulary; mask pixel value = index"),
    options: SegmentOptionsSchema.optional().describe("As POST /v1/segment's"),
    ...ImageInputShape,
    images: z.array(z.strictObject(ImageInputShape)).min(1).max(LIMITS.jobImages).optional().describe(`Up to ${LIMITS.jobImages} images, each as image or imageUpload`),
    prefix: text().max(1024).optional().describe(`A folder of your images in the bucket, under tenants/<tenant>/images/ (up to ${LIMITS.jobImages} objects)`),
    webhook: z
      .url({ protocol: /^https?$/ })
      .max(LIMITS.webhookUrl)
      .optional()
      .describe(`Called (POST, JSON) when the job ends, signed in the ${SIGNATURE_HEADER} header (GET /v1/jobs/webhook-secret)`),
    idempotencyKey: IdempotencyKey.optional().describe("Or the Idempotency-Key header: the same key and request answer the same job"),
  })
  .openapi("JobRequest");

const ItemViewSchema = z.object({
  index: z.number().int(),
  source: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed"]),
  result: z.record(z.string(), z.unknown()).nullable().describe("POST /v1/segment's answer, with `mask` the path of the PNG"),
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }).nullable(),
  finishedAt: z.string().nullable(),
});

const JobSchema = z
  .object({
    id: z.string(),
    status: z.enum(["queued", "running", "succeeded", "failed", "expired"]),
    idempotencyKey: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    expiresAt: z.string().describe("Results and objects are removed then; the job answers `expired`"),
    counts: z.object({ total: z.number().int(), queued: z.number().int(), running: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }),
    items: z.array(ItemViewSchema),
    webhook: z.object({ url: z.string(), delivery: z.record(z.string(), z.unknown()).nullable() }).nullable(),
  })
  .openapi("Job");

const submit = createRoute({
  method: "post",
  path: "/v1/jobs",
  operationId: "submitJob",
  summary: "Submit an asynchronous segmentation job",
  tags: ["jobs"],
  security: AUTH,
  description: "Segments one image, a list, or a folder later (SageMaker Asynchronous Inference: it waits for the GPU). Idempotent on the Idempotency-Key header or idempotencyKey.",
  request: { body: { required: true, content: { "application/json": { schema: JobRequestSchema } } } },
  responses: {
    202: { description: "The job (queued), or the one the same idempotency key made", content: { "application/json": { schema: JobSchema } } },
    ...errorResponses(400, 401, 404, 409, 413, 415),
  },
});

const webhookSecret = createRoute({
  method: "get",
  path: "/v1/jobs/webhook-secret",
  operationId: "getWebhookSecret",
  summary: "Get the tenant's webhook signing secret",
  tags: ["jobs"],
  security: AUTH,
  responses: {
    200: {
      description: `The tenant's secret that signs its webhooks: ${SIGNATURE_HEADER}: t=<unix seconds>,v1=hex(HMAC-SHA256(secret, t + "." + raw body))`,
      content: { "application/json": { schema: z.object({ secret: z.string(), header: z.string() }).openapi("WebhookSecret") } },
    },
    ...errorResponses(401),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/jobs/{id}",
  operationId: "getJob",
  summary: "Get a job's status and results",
  tags: ["jobs"],
  security: AUTH,
  request: { params: UuidParam },
  responses: { 200: { description: "The job's status and each image's result or error", content: { "application/json": { schema: JobSchema } } }, ...errorResponses(401, 404) },
});

const mask = createRoute({
  method: "get",
  path: "/v1/jobs/{id}/items/{index}/mask",
  operationId: "getJobMask",
  summary: "Download one image's mask from a job",
  tags: ["jobs"],
  security: AUTH,
  request: {
    params: UuidParam.extend({
      index: z.coerce
        .number()
        .int()
        .min(0)
        .max(LIMITS.jobImages)
        .openapi({ param: { name: "index", in: "path", required: true } }),
    }),
  },
  responses: {
    200: { description: "The image's mask: 8-bit greyscale PNG, pixel value = index into classNames", content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } } },
    ...errorResponses(401, 404),
  },
});

function notFound(id: string): ApiError {
  return new ApiError("not-found", `job ${id} does not exist`, { jobId: id });
}

export function jobsRoutes(deps: ApiDeps & { uploads: UploadStore; jobs?: JobsDeps }) {
  const jobs = (): JobsDeps => {
    if (!deps.jobs) throw new ApiError("not-available", "this service runs no jobs");
    return deps.jobs;
  };
  return newRouter()
    .openapi(submit, async (c) => {
      const body = c.req.valid("json");
      const header = c.req.header("idempotency-key");
      if (header !== undefined) {
        const problem = header.length === 0 || header.length > LIMITS.idempotencyKey ? `must be 1 to ${LIMITS.idempotencyKey} characters` : textProblem(header);
        if (problem) throw new ApiError("invalid-request", `the Idempotency-Key header ${problem}`, { header: "Idempotency-Key" });
        if (body.idempotencyKey !== undefined && body.idempotencyKey !== header) throw new ApiError("invalid-request", "the Idempotency-Key header and idempotencyKey differ: give one");
      }
      const { store, retentionSeconds, webhookSecret: secret, webhookAllowPrivate, lookup } = jobs();
      if (body.webhook !== undefined && secret !== undefined) {
        const problem = await webhookTargetProblem(body.webhook, { allowPrivate: webhookAllowPrivate, ...(lookup ? { lookup } : {}) });
        if (problem) throw new ApiError("invalid-request", problem, { field: "webhook" });
      }
      const submitted = await submitJob(
        {
          jobs: store,
          store: deps.store,
          uploads: deps.uploads,
          retentionSeconds,
          webhooks: secret !== undefined,
          checkLibrary: async (tenant, libraryId) => void (await requireLibrary(deps.index, tenant, libraryId)),
        },
        c.get("tenant"),
        {
          ...body,
          ...(header !== undefined ? { idempotencyKey: header } : {}),
        },
      );
      return c.json(jobView(submitted.job), 202, submitted.created ? {} : { "idempotent-replayed": "true" });
    })
    .openapi(webhookSecret, async (c) => {
      const secret = jobs().webhookSecret;
      if (!secret) throw new ApiError("not-available", "this service signs no webhooks (SEMLA_JOBS_WEBHOOK_SECRET is unset)");
      return c.json({ secret: tenantWebhookSecret(secret, c.get("tenant")), header: SIGNATURE_HEADER }, 200);
    })
    .openapi(get, async (c) => {
      const { id } = c.req.valid("param");
      const tenant = c.get("tenant");
      const { store, runner } = jobs();
      let job = await store.get(tenant, id);
      if (!job) throw notFound(id);
      // Without a background runner (the Lambda), a read advances the job: collects what answered, expires what is due.
      if (job.status === "queued" || job.status === "running" || (job.status !== "expired" && job.expiresAt.getTime() <= Date.now())) {
        await runner.advance(id);
        job = (await store.get(tenant, id)) ?? job;
      }
      return c.json(jobView(job), 200);
    })
    .openapi(mask, async (c) => {
      const { id, index } = c.req.valid("param");
      const job = await jobs().store.get(c.get("tenant"), id);
      const item = job && job.status !== "expired" ? ItemsSchema.parse(job.items)[index] : undefined;
      if (!job || !item || item.state !== "succeeded") throw new ApiError("not-found", `job ${id} has no mask for image ${index}`, { jobId: id, index });
      try {
        const png = await deps.store.get(jobMaskKey(id, index));
        return c.body(png as Uint8Array<ArrayBuffer>, 200, { "content-type": "image/png" });
      } catch (error) {
        if (error instanceof BlobNotFoundError) throw notFound(id);
        throw error;
      }
    });
}

export { tenantImagesPrefix };

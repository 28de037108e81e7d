import { createHash, randomUUID } from "node:crypto";
import { LIMITS, SemlaError } from "@semla/core";
import type { SegmentOptions } from "@semla/pipeline";
import type { JobRecord, JobStore } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import { ApiError } from "../http/errors.js";
import type { UploadStore } from "../uploads/upload-store.js";
import { type Item, JOBS_PREFIX, jobActiveKey, jobImageKey, type StoredRequest } from "./job-items.js";

/** Refusals of POST /v1/jobs beyond the schema's: `job.<rule>`. */
export class JobError extends SemlaError {
  constructor(rule: "idempotency-key-reused" | "too-many-images" | "empty-folder" | "invalid-prefix" | "webhook-unavailable", message: string, details: Record<string, unknown> = {}) {
    super(`job.${rule}`, message, details, rule === "idempotency-key-reused" ? "conflict" : rule === "webhook-unavailable" ? "not-implemented" : "invalid");
  }
}

/** The folder of the bucket a tenant's images may be named from (`prefix`): tenants/<tenant, URI-encoded>/images/. */
export function tenantImagesPrefix(tenant: string): string {
  return `tenants/${encodeURIComponent(tenant)}/images/`;
}

export interface JobImageInput {
  readonly image?: Uint8Array | undefined;
  readonly imageUpload?: string | undefined;
}

/** POST /v1/jobs as parsed: the segment request, and exactly one of image, imageUpload, images or prefix. */
export interface JobSubmission extends JobImageInput {
  readonly libraryId: string;
  readonly classNames: readonly string[];
  readonly options?: SegmentOptions | undefined;
  readonly images?: readonly JobImageInput[] | undefined;
  readonly prefix?: string | undefined;
  readonly webhook?: string | undefined;
  readonly idempotencyKey?: string | undefined;
}

export interface SubmitDeps {
  readonly jobs: JobStore;
  readonly store: BlobStore;
  readonly uploads: UploadStore;
  readonly retentionSeconds: number;
  /** Refuses a library the tenant does not have (404), before anything is copied. */
  readonly checkLibrary: (tenant: string, libraryId: string) => Promise<void>;
  /** Whether webhooks can be signed (a secret is configured). */
  readonly webhooks: boolean;
  readonly now?: () => Date;
}

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** The request's fingerprint: the same key must come with the same request (images by their sha256, uploads by id). */
export function requestFingerprint(body: JobSubmission): string {
  const image = (input: JobImageInput) => (input.image !== undefined ? { image: sha256(input.image) } : { imageUpload: input.imageUpload });
  const canonical = {
    libraryId: body.libraryId,
    classNames: body.classNames,
    options: body.options ?? null,
    images: body.images ? body.images.map(image) : body.image !== undefined || body.imageUpload !== undefined ? [image(body)] : null,
    prefix: body.prefix ?? null,
    webhook: body.webhook ?? null,
  };
  return sha256(JSON.stringify(canonical));
}

type Source = { readonly source: string; readonly read: () => Promise<Uint8Array>; readonly done: () => Promise<void> };

async function sourcesOf(body: JobSubmission, tenant: string, deps: SubmitDeps): Promise<Source[]> {
  const given = [body.image !== undefined || body.imageUpload !== undefined, body.images !== undefined, body.prefix !== undefined].filter(Boolean).length;
  if (given !== 1) throw new ApiError("invalid-request", "give exactly one of image, imageUpload, images (a list) or prefix (a folder of your images in the bucket)");
  const one = (input: JobImageInput): Source => {
    if ((input.image === undefined) === (input.imageUpload === undefined)) throw new ApiError("invalid-request", "each image is exactly one of image (base64) or imageUpload (an upload id)");
    if (input.image !== undefined) {
      const bytes = input.image;
      return { source: "image", read: async () => bytes, done: async () => {} };
    }
    const id = input.imageUpload as string;
    return { source: `upload:${id}`, read: async () => (await deps.uploads.open(tenant, "image", id)).file, done: () => deps.uploads.discard(id) };
  };
  if (body.images) return body.images.map(one);
  if (body.prefix === undefined) return [one(body)];
  const prefix = body.prefix;
  if (prefix.startsWith("/") || prefix.split("/").some((part) => part === "." || part === "..")) {
    throw new JobError("invalid-prefix", `prefix ${JSON.stringify(prefix)} must be a relative folder of your images (no leading /, no . or .. parts)`, { prefix });
  }
  const folder = tenantImagesPrefix(tenant);
  const keys: string[] = [];
  for await (const info of deps.store.list(`${folder}${prefix}`)) {
    if (info.key.endsWith("/")) continue;
    if (info.size > LIMITS.imageUploadBytes)
      throw new ApiError("payload-too-large", `${info.key.slice(folder.length)} is ${info.size} bytes, over the ${LIMITS.imageUploadBytes}-byte image limit`, {
        key: info.key.slice(folder.length),
        limit: LIMITS.imageUploadBytes,
      });
    keys.push(info.key);
    if (keys.length > LIMITS.jobImages) break;
  }
  if (keys.length === 0) throw new JobError("empty-folder", `no image under ${prefix} in your folder of the bucket (${folder})`, { prefix, folder });
  return keys.sort().map((key) => ({ source: key.slice(folder.length), read: () => deps.store.get(key), done: async () => {} }));
}

function sameRequest(job: JobRecord, fingerprint: string, key: string): JobRecord {
  if (job.requestSha256 === fingerprint) return job;
  throw new JobError("idempotency-key-reused", `idempotency key ${JSON.stringify(key)} was used for another request (job ${job.id}): use a new key for a new request`, {
    idempotencyKey: key,
    jobId: job.id,
  });
}

/**
 * Creates the job (queued), its images copied under jobs/<id>/ (uploads are used once, folders may
 * change); or, under an idempotency key already used by the tenant, the job it made, when the
 * request is the same.
 */
export async function submitJob(deps: SubmitDeps, tenant: string, body: JobSubmission): Promise<{ job: JobRecord; created: boolean }> {
  const now = deps.now ?? (() => new Date());
  const key = body.idempotencyKey ?? null;
  const fingerprint = requestFingerprint(body);
  if (key !== null) {
    const existing = await deps.jobs.findByKey(tenant, key);
    if (existing) return { job: sameRequest(existing, fingerprint, key), created: false };
  }
  if (body.webhook !== undefined && !deps.webhooks) throw new JobError("webhook-unavailable", "this service signs no webhooks (SEMLA_JOBS_WEBHOOK_SECRET is unset): poll GET /v1/jobs/{id} instead");
  await deps.checkLibrary(tenant, body.libraryId);
  const sources = await sourcesOf(body, tenant, deps);
  if (sources.length > LIMITS.jobImages) throw new JobError("too-many-images", `a job segments at most ${LIMITS.jobImages} images: split the work into several jobs`, { limit: LIMITS.jobImages });

  const id = randomUUID();
  const items: Item[] = [];
  try {
    for (const [index, source] of sources.entries()) {
      await deps.store.put(jobImageKey(id, index), await source.read());
      items.push({ index, source: source.source, state: "queued", deferrals: 0 });
    }
  } catch (error) {
    for (const item of items) await deps.store.delete(jobImageKey(id, item.index)).catch(() => undefined);
    throw error;
  }
  const request: StoredRequest = { libraryId: body.libraryId, classNames: [...body.classNames], ...(body.options ? { options: { ...body.options } } : {}) };
  const createdAt = now();
  // Before the row: a scheduled runner may find a marker without a job (it removes it), never a job without one.
  await deps.store.put(jobActiveKey(id), new Uint8Array());
  const created = await deps.jobs.create({
    id,
    tenant,
    idempotencyKey: key,
    requestSha256: fingerprint,
    request,
    items,
    webhookUrl: body.webhook ?? null,
    createdAt,
    expiresAt: new Date(createdAt.getTime() + deps.retentionSeconds * 1000),
  });
  if (!created.created) {
    // Another request under the same key won the race: this one's copies go.
    for (const key of [...items.map((item) => jobImageKey(id, item.index)), jobActiveKey(id)]) await deps.store.delete(key).catch(() => undefined);
    return { job: sameRequest(created.job, fingerprint, key as string), created: false };
  }
  for (const source of sources) await source.done();
  return created;
}

export { JOBS_PREFIX };

import type { AsyncSubmission } from "@semla/inference";
import { z } from "zod";

/**
 * The shapes a job keeps in its row (registry `jobs.items`, `jobs.request`, `jobs.webhook`), parsed
 * when read back, so a row written by an older API is refused loudly rather than misread.
 */
export const JOBS_PREFIX = "jobs/";

/** Objects of one image of a job: its bytes, the asynchronous invocation's input, the mask. */
export const jobImageKey = (jobId: string, index: number) => `${JOBS_PREFIX}${jobId}/${index}/image`;
export const jobInputKey = (jobId: string, index: number) => `${JOBS_PREFIX}${jobId}/${index}/input`;
export const jobMaskKey = (jobId: string, index: number) => `${JOBS_PREFIX}${jobId}/${index}/mask.png`;

/**
 * An empty object per job not yet ended, so a scheduled runner finds out whether there is work by
 * listing the bucket, without waking a paused database (jobs/active/<id>; the runner removes it
 * when the job ends; the bucket's jobs/ lifecycle rule removes a stray one).
 */
export const JOBS_ACTIVE_PREFIX = `${JOBS_PREFIX}active/`;
export const jobActiveKey = (jobId: string) => `${JOBS_ACTIVE_PREFIX}${jobId}`;

const ErrorView = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) });
export type ErrorView = z.infer<typeof ErrorView>;

/** The answer of one image, as POST /v1/segment gives it, less the mask (a route of its own). */
export const ItemResultSchema = z.object({
  mode: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  scores: z.array(z.object({ className: z.string(), pixelFraction: z.number(), meanProbability: z.number() })),
  plan: z.unknown().nullable(),
  contributions: z.array(z.record(z.string(), z.unknown())),
  /** As segment's: routed modes only (whether the image is one of the library's domains, what the policy did); null before coverage existed. */
  coverage: z.record(z.string(), z.unknown()).nullable().default(null),
  fusion: z.object({ combination: z.string(), at: z.enum(["api", "backend"]), cached: z.boolean() }).nullable(),
  adapter: z.object({ kind: z.string(), sha256: z.string().nullable(), cached: z.boolean() }),
  timings: z.object({ stages: z.record(z.string(), z.number()), backend: z.record(z.string(), z.number()) }),
});
export type ItemResult = z.infer<typeof ItemResultSchema>;

/** What the API decided before deferring inference: kept with the submission, joined to the answer. */
const PreparedSchema = ItemResultSchema.pick({ mode: true, plan: true, contributions: true, coverage: true }).extend({
  libraryId: z.string(),
  combination: z.string(),
  stages: z.record(z.string(), z.number()),
});
export type PreparedItem = z.infer<typeof PreparedSchema>;

const SubmissionSchema = z.object({
  inferenceId: z.string(),
  outputKey: z.string(),
  failureKey: z.string(),
  fusion: z.object({ at: z.enum(["api", "backend"]), cached: z.boolean() }).nullable(),
}) satisfies z.ZodType<AsyncSubmission>;

export const ItemSchema = z.object({
  index: z.number().int(),
  /** Where the image came from: "image" (inline), "upload:<id>", or its key in the tenant's folder. */
  source: z.string(),
  /** queued: not yet submitted; running: submitted, its answer awaited; then succeeded or failed. */
  state: z.enum(["queued", "running", "succeeded", "failed"]),
  /** Submissions refused for want of capacity (tried again next round). */
  deferrals: z.number().int().default(0),
  prepared: PreparedSchema.optional(),
  submission: SubmissionSchema.optional(),
  result: ItemResultSchema.optional(),
  error: ErrorView.optional(),
  finishedAt: z.string().optional(),
});
export type Item = z.infer<typeof ItemSchema>;

export const ItemsSchema = z.array(ItemSchema);

/** The segment request each image runs (the API's parsed options, as JSON). */
export const StoredRequestSchema = z.object({
  libraryId: z.string(),
  classNames: z.array(z.string()),
  options: z.record(z.string(), z.unknown()).optional(),
});
export type StoredRequest = z.infer<typeof StoredRequestSchema>;

export const WebhookDeliverySchema = z.object({
  /** The receiver's HTTP status of the last attempt, or null when it could not be reached. */
  status: z.number().int().nullable(),
  attempts: z.number().int(),
  delivered: z.boolean(),
  at: z.string(),
  error: z.string().optional(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

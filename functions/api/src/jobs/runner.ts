import { SIGNATURE_HEADER, signWebhook } from "@semla/client";
import { SemlaError } from "@semla/core";
import type { AsyncInference, BackendResponse } from "@semla/inference";
import type { Logger } from "@semla/observability";
import { type Pipeline, SegmentOptionsSchema } from "@semla/pipeline";
import type { ContributionStore, JobPatch, JobRecord, JobStatus, JobStore } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import {
  type ErrorView,
  type Item,
  type ItemResult,
  ItemsSchema,
  JOBS_ACTIVE_PREFIX,
  JOBS_PREFIX,
  jobActiveKey,
  jobImageKey,
  jobInputKey,
  jobMaskKey,
  type PreparedItem,
  StoredRequestSchema,
  type WebhookDelivery,
} from "./job-items.js";
import { jobView } from "./job-view.js";
import { tenantWebhookSecret } from "./tenant-secret.js";
import { type Lookup, webhookTargetProblem } from "./webhook-target.js";

export interface JobRunnerDeps {
  readonly jobs: JobStore;
  readonly store: BlobStore;
  readonly pipeline: Pipeline;
  /** The backend's deferred inference (SageMaker's asynchronous invocations); absent: each image runs through the pipeline here. */
  readonly async?: AsyncInference;
  readonly contributions: ContributionStore;
  readonly logger: Logger;
  /** The service's webhook secret (each tenant signs with one derived from it); absent: no webhook is called. */
  readonly webhookSecret?: string;
  readonly fetch?: typeof fetch;
  /** Webhooks to private, loopback and link-local addresses are not sent unless this is true (checked again at delivery: DNS may have changed). */
  readonly webhookAllowPrivate?: boolean;
  readonly lookup?: Lookup;
  readonly now?: () => Date;
  /** How long one round may hold a job (other runners skip it meanwhile). Default 120 s. */
  readonly leaseMs?: number;
  /** Webhook attempts per completion, and the pause before each retry. Default 3, 500 ms doubling. */
  readonly webhookAttempts?: number;
  readonly webhookRetryMs?: number;
  /** Images started (embedded, routed, submitted or run) per round of one job: bounds a round's time (a Lambda's GET). Default 16. */
  readonly startsPerRound?: number;
}

export interface JobRunner {
  /** One round for one job: submit what is queued, collect what has answered, finish, call the webhook, expire. */
  advance(id: string): Promise<void>;
  /** One round for every job still to advance, and the expiry of those past it. */
  tick(): Promise<{ advanced: number; expired: number }>;
  /**
   * The scheduled round (the Lambda's cron): nothing, and no database query, when the bucket holds no
   * active-job marker; else tick(), then the markers of jobs no longer active are removed.
   */
  scheduled(): Promise<{ advanced: number; expired: number; skipped: boolean }>;
}

/** Whether any job has not ended, from the bucket alone (jobs/active/ markers): a paused database stays asleep. */
export async function hasActiveJobs(store: Pick<BlobStore, "list">): Promise<boolean> {
  for await (const _ of store.list(JOBS_ACTIVE_PREFIX)) return true;
  return false;
}

/** Errors that say "later", not "never": the image stays queued for the next round. */
function transient(error: unknown): boolean {
  return error instanceof SemlaError && (error.kind === "unavailable" || error.kind === "timeout");
}

function errorView(error: unknown): ErrorView {
  if (error instanceof SemlaError) return { code: error.code, message: error.message, details: { ...error.details } };
  return { code: "api.internal", message: "the image could not be segmented (internal error)", details: {} };
}

const JOB_BATCH = 100;
/** Active jobs read when removing the markers of ended ones (a marker of an active job beyond it would go: its job then advances on reads). */
const MARKER_SCAN = 10_000;

/**
 * Advances jobs: the API's side of SageMaker Asynchronous Inference (or, without it, inference here).
 * Embedding, routing and the mixture's delivery happen here as for POST /v1/segment; only the
 * segmenter's run is deferred. Every round holds the job's lease, and saves each submission as it is
 * made, so two API processes (or a restart between rounds) never submit an image twice.
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? 120_000;
  const send = deps.fetch ?? fetch;
  const attempts = deps.webhookAttempts ?? 3;
  const retryMs = deps.webhookRetryMs ?? 500;
  const startsPerRound = deps.startsPerRound ?? 16;

  async function readRequest(job: JobRecord) {
    const stored = StoredRequestSchema.parse(job.request);
    return { ...stored, options: SegmentOptionsSchema.parse(stored.options ?? {}) };
  }

  function resultOf(prepared: PreparedItem, response: BackendResponse, stages: Record<string, number>): ItemResult {
    return {
      mode: prepared.mode,
      width: response.width,
      height: response.height,
      scores: [...response.scores],
      plan: prepared.plan,
      contributions: prepared.contributions,
      coverage: prepared.coverage,
      fusion: response.fusion ? { combination: prepared.combination, ...response.fusion } : null,
      adapter: { ...response.adapter },
      timings: { stages, backend: { ...response.timings } },
    };
  }

  async function succeed(job: JobRecord, item: Item, prepared: PreparedItem, response: BackendResponse, stages: Record<string, number>): Promise<Item> {
    await deps.store.put(jobMaskKey(job.id, item.index), response.maskPng, { contentType: "image/png" });
    // Counted in the stats once per image, under the job's request id.
    await deps.contributions.record(
      prepared.libraryId,
      `job:${job.id}/${item.index}`,
      prepared.contributions.map((c) => ({ adapterId: String(c.adapterId), rank: Number(c.rank), weight: Number(c.weight), distance: c.distance === null ? null : Number(c.distance) })),
    );
    return { ...item, state: "succeeded", result: resultOf(prepared, response, stages), finishedAt: now().toISOString() };
  }

  /** Embeds, routes and delivers; then submits to the backend's queue, or (without one) runs the whole segment here. */
  async function start(job: JobRecord, item: Item): Promise<Item> {
    const request = await readRequest(job);
    const image = await deps.store.get(jobImageKey(job.id, item.index));
    const input = { tenant: job.tenant, libraryId: request.libraryId, image, classNames: request.classNames, options: request.options, requestId: `job:${job.id}/${item.index}` };
    if (!deps.async) {
      const result = await deps.pipeline.segment(input);
      const summary: PreparedItem = {
        libraryId: result.library.id,
        mode: result.mode,
        combination: request.options.fusion.combination,
        plan: result.plan,
        contributions: result.contributions.map((c) => ({ ...c })),
        coverage: result.coverage && { ...result.coverage },
        stages: { ...result.timings.stages },
      };
      const response: BackendResponse = { ...result, fusion: result.fusion && { at: result.fusion.at, cached: result.fusion.cached }, timings: result.timings.backend };
      return succeed(job, item, summary, response, summary.stages);
    }
    const prepared = await deps.pipeline.prepareSegment(input);
    const submission = await deps.async.submit(
      prepared.request,
      { inputKey: jobInputKey(job.id, item.index), inferenceId: `${job.id}-${item.index}` },
      { stage: (name, work) => prepared.timer.time(name, work) },
    );
    const summary: PreparedItem = {
      libraryId: prepared.library.id,
      mode: prepared.mode,
      combination: prepared.fusionOptions.combination,
      plan: prepared.plan,
      contributions: prepared.contributions.map((c) => ({ ...c })),
      coverage: prepared.coverage && { ...prepared.coverage },
      stages: prepared.timer.finish(),
    };
    return { ...item, state: "running", prepared: summary, submission: { ...submission } };
  }

  async function collect(job: JobRecord, item: Item): Promise<Item> {
    if (!deps.async || !item.submission || !item.prepared) return { ...item, state: "failed", error: { code: "job.lost-submission", message: "the image's submission is not recorded", details: {} } };
    const outcome = await deps.async.collect(item.submission);
    if (outcome.state === "pending") return item;
    await deps.store.delete(jobInputKey(job.id, item.index));
    if (outcome.state === "failed") return { ...item, state: "failed", error: { ...outcome.error, details: { ...outcome.error.details } }, finishedAt: now().toISOString() };
    return succeed(job, item, item.prepared, outcome.response, item.prepared.stages);
  }

  function statusOf(items: readonly Item[]): JobStatus {
    if (items.some((item) => item.state === "queued" || item.state === "running")) return items.some((item) => item.state !== "queued" || item.deferrals > 0) ? "running" : "queued";
    return items.every((item) => item.state === "failed") ? "failed" : "succeeded";
  }

  async function deliverWebhook(job: JobRecord): Promise<WebhookDelivery> {
    const secret = deps.webhookSecret;
    const url = job.webhookUrl as string;
    const body = JSON.stringify({ type: `job.${job.status}`, job: jobView(job) });
    let last: { status: number | null; error?: string } = { status: null };
    const refused = await webhookTargetProblem(url, { allowPrivate: deps.webhookAllowPrivate ?? false, ...(deps.lookup ? { lookup: deps.lookup } : {}) });
    if (refused) {
      deps.logger.log("warn", "job webhook refused", { jobId: job.id, error: refused });
      return { status: null, error: refused, attempts: 0, delivered: false, at: now().toISOString() };
    }
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const headers: Record<string, string> = { "content-type": "application/json", "semla-job-id": job.id };
        if (secret) headers[SIGNATURE_HEADER] = await signWebhook(tenantWebhookSecret(secret, job.tenant), body, Math.floor(now().getTime() / 1000));
        const response = await send(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(10_000) });
        await response.body?.cancel();
        last = { status: response.status };
        if (response.ok) return { status: response.status, attempts: attempt, delivered: true, at: now().toISOString() };
      } catch (error) {
        last = { status: null, error: (error as Error).message };
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, retryMs * 2 ** (attempt - 1)));
    }
    deps.logger.log("warn", "job webhook not delivered", { jobId: job.id, status: last.status, error: last.error });
    return { ...last, attempts, delivered: false, at: now().toISOString() };
  }

  /** The job's objects: its folder, and the SageMaker answers written elsewhere (the endpoint config's output and failure paths). */
  async function removeObjects(job: JobRecord): Promise<void> {
    const keys: string[] = [];
    for await (const info of deps.store.list(`${JOBS_PREFIX}${job.id}/`)) keys.push(info.key);
    for (const item of ItemsSchema.safeParse(job.items).data ?? []) {
      if (item.submission) keys.push(item.submission.outputKey, item.submission.failureKey);
    }
    for (const key of keys) await deps.store.delete(key);
  }

  async function expire(job: JobRecord): Promise<JobPatch> {
    await removeObjects(job);
    const items = (ItemsSchema.safeParse(job.items).data ?? []).map(({ index, source, state }) => ({ index, source, state, deferrals: 0 }));
    return { status: "expired", items };
  }

  async function round(job: JobRecord): Promise<JobPatch> {
    if (job.status === "expired") return {};
    if (job.expiresAt.getTime() <= now().getTime()) return expire(job);
    if (job.status === "succeeded" || job.status === "failed") return {};
    const items = ItemsSchema.parse(job.items);
    const startedAt = job.startedAt ?? now();
    let starts = 0;
    for (const [i, item] of items.entries()) {
      let next: Item;
      // The rest wait for the next round.
      if (item.state === "queued" && starts >= startsPerRound) continue;
      try {
        if (item.state === "queued") starts++;
        next = item.state === "queued" ? await start(job, item) : item.state === "running" ? await collect(job, item) : item;
      } catch (error) {
        if (!transient(error)) {
          next = { ...item, state: "failed", error: errorView(error), finishedAt: now().toISOString() };
        } else {
          // No capacity (scaling from zero), throttled, unreachable: tried again next round, nothing lost.
          deps.logger.log("info", "job image deferred", { jobId: job.id, index: item.index, code: error instanceof SemlaError ? error.code : undefined });
          next = { ...item, deferrals: item.deferrals + 1 };
        }
      }
      if (next !== item) {
        items[i] = next;
        // Saved at once: a submission made is never made again by another round.
        await deps.jobs.save(job.id, { items, status: statusOf(items), startedAt }, leaseMs);
      }
    }
    const status = statusOf(items);
    const done = status === "succeeded" || status === "failed";
    const patch: JobPatch = { items, status, startedAt, ...(done ? { finishedAt: now() } : {}) };
    if (done && job.webhookUrl) {
      const finished = { ...job, ...patch, items, finishedAt: patch.finishedAt ?? null, startedAt } as JobRecord;
      return { ...patch, webhook: await deliverWebhook(finished) };
    }
    return patch;
  }

  async function advance(id: string): Promise<void> {
    const job = await deps.jobs.lease(id, leaseMs);
    if (!job) return;
    let patch: JobPatch = {};
    try {
      patch = await round(job);
    } finally {
      await deps.jobs.release(id, patch);
    }
    if (patch.status === "succeeded" || patch.status === "failed" || patch.status === "expired") await deps.store.delete(jobActiveKey(id)).catch(() => undefined);
  }

  async function tick() {
    const expired = await deps.jobs.expiredBefore(now(), JOB_BATCH);
    const active = await deps.jobs.active(JOB_BATCH);
    const ids = [...new Set([...expired, ...active])];
    for (const id of ids) {
      try {
        await advance(id);
      } catch (error) {
        deps.logger.log("error", "job round failed", { jobId: id, error: (error as Error).message });
      }
    }
    return { advanced: active.length, expired: expired.length };
  }

  return {
    advance,
    tick,
    async scheduled() {
      if (!(await hasActiveJobs(deps.store))) return { advanced: 0, expired: 0, skipped: true };
      const report = await tick();
      // Markers of jobs that ended (or never got a row): the next scheduled round sleeps again.
      const active = new Set(await deps.jobs.active(MARKER_SCAN));
      for await (const info of deps.store.list(JOBS_ACTIVE_PREFIX)) {
        const id = info.key.slice(JOBS_ACTIVE_PREFIX.length);
        if (!active.has(id)) await deps.store.delete(info.key);
      }
      return { ...report, skipped: false };
    },
  };
}

import type { JobRecord } from "@semla/registry";
import { type Item, ItemsSchema, WebhookDeliverySchema } from "./job-items.js";

/** Where an image's mask is served (GET, the tenant's key). */
export const maskPath = (jobId: string, index: number) => `/v1/jobs/${jobId}/items/${index}/mask`;

function itemView(jobId: string, item: Item) {
  return {
    index: item.index,
    source: item.source,
    status: item.state,
    result: item.result ? { ...item.result, mask: maskPath(jobId, item.index) } : null,
    error: item.error ?? null,
    finishedAt: item.finishedAt ?? null,
  };
}

/** A job as GET /v1/jobs/{id} answers it (and its webhook sends it). */
export function jobView(job: JobRecord) {
  const items = ItemsSchema.parse(job.items);
  const count = (state: Item["state"]) => items.filter((item) => item.state === state).length;
  const delivery = job.webhook ? WebhookDeliverySchema.parse(job.webhook) : null;
  return {
    id: job.id,
    status: job.status,
    idempotencyKey: job.idempotencyKey,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    expiresAt: job.expiresAt.toISOString(),
    counts: { total: items.length, queued: count("queued"), running: count("running"), succeeded: count("succeeded"), failed: count("failed") },
    // An expired job keeps its images' final states, not their results (removed with its objects).
    items: job.status === "expired" ? items.map((item) => ({ ...itemView(job.id, item), result: null, error: null })) : items.map((item) => itemView(job.id, item)),
    webhook: job.webhookUrl ? { url: job.webhookUrl, delivery } : null,
  };
}

export type JobView = ReturnType<typeof jobView>;

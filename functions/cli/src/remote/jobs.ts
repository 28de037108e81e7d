import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { SemlaError } from "@semla/core";
import { printJson, table } from "../format.js";
import { type Connection, expectOk, imageField } from "./connection.js";

/**
 * `semla jobs submit | get | wait` (declared in program/program.ts): asynchronous segmentation
 * (POST /v1/jobs), for work that can wait for the GPU.
 */
export type JobView = {
  id: string;
  status: "queued" | "running" | "succeeded" | "failed" | "expired";
  counts: { total: number; queued: number; running: number; succeeded: number; failed: number };
  expiresAt: string;
  items: { index: number; source: string; status: string; result: { mask: string; width: number; height: number } | null; error: { code: string; message: string } | null }[];
};

const TERMINAL = new Set(["succeeded", "failed", "expired"]);

/** A plain fetch's reply as expectOk reads it (the job routes' JSON). */
const typed = <T>(response: Response) => response as unknown as { ok: boolean; status: number; json(): Promise<T> };

export interface SubmitOptions {
  readonly libraryId: string;
  readonly classNames: readonly string[];
  readonly imagePaths: readonly string[];
  readonly prefix?: string | undefined;
  readonly webhook?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly options?: Record<string, unknown>;
}

export async function submitJob(connection: Connection, options: SubmitOptions): Promise<JobView> {
  const images = await Promise.all(options.imagePaths.map(async (file) => imageField(connection, new Uint8Array(await readFile(file)))));
  const body = {
    libraryId: options.libraryId,
    classNames: [...options.classNames],
    ...(options.prefix !== undefined ? { prefix: options.prefix } : images.length === 1 ? images[0] : { images }),
    ...(options.webhook !== undefined ? { webhook: options.webhook } : {}),
    ...(options.options && Object.keys(options.options).length > 0 ? { options: options.options } : {}),
  };
  const response = await fetch(`${connection.url}/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${connection.apiKey}`, "content-type": "application/json", ...(options.idempotencyKey !== undefined ? { "idempotency-key": options.idempotencyKey } : {}) },
    body: JSON.stringify(body),
  });
  return expectOk(typed<JobView>(response));
}

export async function getJob(connection: Connection, id: string): Promise<JobView> {
  return expectOk(typed<JobView>(await fetch(`${connection.url}/v1/jobs/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${connection.apiKey}` } })));
}

export function printJob(job: JobView, json = false): void {
  if (json) {
    printJson(job);
    return;
  }
  const c = job.counts;
  console.log(`job ${job.id}: ${job.status} (${c.succeeded} succeeded, ${c.failed} failed, ${c.running} running, ${c.queued} queued of ${c.total}; expires ${job.expiresAt})`);
  console.log(
    table(
      ["#", "source", "status", "size / error"],
      job.items.map((item) => [
        String(item.index),
        item.source,
        item.status,
        item.result ? `${item.result.width}×${item.result.height}` : item.error ? `${item.error.message} (${item.error.code})` : "",
      ]),
    ),
  );
}

export interface WaitOptions {
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  /** Writes each image's mask here as <index>.png. */
  readonly out?: string | undefined;
  /** Progress lines (stderr). */
  readonly onProgress?: (job: JobView) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Polls the job until it ends (or the timeout passes); each poll also advances it on a server without a background runner. */
export async function waitForJob(connection: Connection, id: string, options: WaitOptions): Promise<JobView> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutSeconds * 1000;
  for (;;) {
    const job = await getJob(connection, id);
    if (TERMINAL.has(job.status)) {
      if (options.out !== undefined) await writeMasks(connection, job, options.out);
      return job;
    }
    if (now() >= deadline)
      throw new SemlaError("cli.job-timeout", `job ${id} is still ${job.status} after ${options.timeoutSeconds} s: run semla jobs wait ${id} again later`, { jobId: id, status: job.status });
    options.onProgress?.(job);
    await sleep(options.intervalSeconds * 1000);
  }
}

async function writeMasks(connection: Connection, job: JobView, out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  for (const item of job.items) {
    if (!item.result) continue;
    const response = await fetch(`${connection.url}${item.result.mask}`, { headers: { authorization: `Bearer ${connection.apiKey}` } });
    if (!response.ok) await expectOk(typed<unknown>(response));
    await writeFile(path.join(out, `${item.index}.png`), new Uint8Array(await response.arrayBuffer()));
  }
}

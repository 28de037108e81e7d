import { parseConfig } from "@semla/service/config";
import { openServiceStore } from "@semla/service/store";
import { createServices, publicUrlOf, type Services } from "../services.js";
import { hasActiveJobs } from "./runner.js";

/**
 * The jobs' scheduled round (SST handler `functions/api/src/jobs/lambda.handler`, on a cron in
 * infra/jobs.ts): advances jobs (submits, collects, calls webhooks, expires) without waiting for a
 * GET. It first lists the bucket's active-job markers: with none it returns at once, and neither a
 * paused database nor the models are touched. Otherwise the API's services start (once per warm
 * container) and run runner.scheduled(). A thrown error fails the invocation; the next one tries again.
 */
let services: Promise<Services> | undefined;

export interface ScheduledJobsReport {
  readonly advanced: number;
  readonly expired: number;
  /** No job was active: nothing was opened. */
  readonly skipped: boolean;
}

export async function handler(): Promise<ScheduledJobsReport> {
  const config = parseConfig(process.env);
  const { store } = await openServiceStore(config, publicUrlOf(config));
  if (!(await hasActiveJobs(store))) return { advanced: 0, expired: 0, skipped: true };
  services ??= createServices(config);
  // A failed start is not cached: the next invocation tries again.
  services.catch(() => (services = undefined));
  const report = await (await services).jobs.runner.scheduled();
  console.log(JSON.stringify({ level: "info", msg: "jobs round", ...report }));
  return report;
}

import type { Logger } from "@semla/observability";
import { type Periodic, startPeriodic } from "../periodic/periodic.js";
import type { JobRunner } from "./runner.js";

export type PeriodicJobs = Periodic;

/**
 * The jobs' rounds in a long-lived server: once now (jobs an earlier process left are picked up),
 * then every `intervalMs` (0: never; a read of a job still advances it).
 */
export function startPeriodicJobs(runner: JobRunner, options: { readonly intervalMs: number; readonly logger: Logger }): PeriodicJobs {
  return startPeriodic(async () => void (await runner.tick()), { ...options, failure: "jobs round failed; the next one tries again" });
}

import { errorFields, type Logger } from "@semla/observability";
import type { JobRunner } from "./runner.js";

export interface PeriodicJobs {
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

/**
 * The jobs' rounds in a long-lived server: once now (jobs an earlier process left are picked up),
 * then every `intervalMs` (0: never; a read of a job still advances it). Unref'd; rounds never
 * overlap; a failed round is logged and the next one tries again.
 */
export function startPeriodicJobs(runner: JobRunner, options: { readonly intervalMs: number; readonly logger: Logger }): PeriodicJobs {
  if (options.intervalMs === 0) return { stop: async () => {} };
  let running: Promise<void> | undefined;
  let stopped = false;
  const once = () => {
    if (running || stopped) return;
    running = runner
      .tick()
      .then(
        () => undefined,
        (error: unknown) => options.logger.log("warn", "jobs round failed; the next one tries again", errorFields(error)),
      )
      .finally(() => (running = undefined));
  };
  once();
  const timer = setInterval(once, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

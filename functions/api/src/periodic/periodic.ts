import { errorFields, type Logger } from "@semla/observability";

export interface Periodic {
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

/**
 * Background work of a long-lived server (the sweep, the jobs' rounds): once now, then every
 * `intervalMs` (0: never). The timer is unref'd, so it never keeps the process alive; rounds never
 * overlap; a failed round is logged as `failure` and the next one tries again.
 */
export function startPeriodic(round: () => Promise<void>, options: { readonly intervalMs: number; readonly logger: Logger; readonly failure: string }): Periodic {
  if (options.intervalMs === 0) return { stop: async () => {} };
  let running: Promise<void> | undefined;
  let stopped = false;
  const once = () => {
    if (running || stopped) return;
    running = round()
      .catch((error: unknown) => options.logger.log("warn", options.failure, errorFields(error)))
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

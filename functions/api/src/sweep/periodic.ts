import { errorFields, type Logger } from "@semla/observability";
import { type RegistryDeps, type SweepOptions, type SweepReport, sweep } from "@semla/registry";

export interface PeriodicSweep {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * The registry's sweep (stale pending rows, orphan objects: what an interrupted upload leaves) run
 * by a long-lived server: once now, then every `intervalMs` (0: never). The timer is unref'd, so it
 * never keeps the process alive; a failed sweep (the database or the store down) is logged and the
 * next one tries again. Sweeps never overlap.
 */
export function startPeriodicSweep(registry: RegistryDeps, options: { readonly intervalMs: number; readonly logger: Logger; readonly sweepOptions?: SweepOptions }): PeriodicSweep {
  if (options.intervalMs === 0) return { stop: async () => {} };
  let running: Promise<void> | undefined;
  let stopped = false;
  const once = () => {
    if (running || stopped) return;
    running = sweep(registry, options.sweepOptions)
      .then(
        (report: SweepReport) => {
          if (report.pendingRemoved + report.orphansRemoved > 0) options.logger.log("info", "swept interrupted uploads", { ...report });
        },
        (error: unknown) => options.logger.log("warn", "sweep failed; the next one tries again", errorFields(error)),
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

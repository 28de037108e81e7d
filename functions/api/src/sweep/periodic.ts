import type { Logger } from "@semla/observability";
import { type RegistryDeps, type SweepOptions, sweep } from "@semla/registry";
import { type Periodic, startPeriodic } from "../periodic/periodic.js";

export type PeriodicSweep = Periodic;

/**
 * The registry's sweep (stale pending rows, orphan objects: what an interrupted upload leaves) run
 * by a long-lived server: once now, then every `intervalMs` (0: never); a failed sweep (the
 * database or the store down) is logged and the next one tries again.
 */
export function startPeriodicSweep(registry: RegistryDeps, options: { readonly intervalMs: number; readonly logger: Logger; readonly sweepOptions?: SweepOptions }): PeriodicSweep {
  const { logger } = options;
  return startPeriodic(
    async () => {
      const report = await sweep(registry, options.sweepOptions);
      if (report.pendingRemoved + report.orphansRemoved > 0) logger.log("info", "swept interrupted uploads", { ...report });
    },
    { intervalMs: options.intervalMs, logger, failure: "sweep failed; the next one tries again" },
  );
}

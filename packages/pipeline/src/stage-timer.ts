import { inSpan } from "@semla/observability";

/**
 * Milliseconds spent in each stage of one request, in the order they ran. Each stage is also a span
 * (a no-op unless tracing is on) and, when given an observer, a metric.
 */
export class StageTimer {
  private readonly started = performance.now();
  readonly stages: Record<string, number> = {};

  constructor(private readonly observe?: (stage: string, ms: number) => void) {}

  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const since = performance.now();
    try {
      return await inSpan(stage, work);
    } finally {
      const ms = performance.now() - since;
      // Stages that run more than once in a request (none today) add up.
      this.stages[stage] = round((this.stages[stage] ?? 0) + ms);
      this.observe?.(stage, ms);
    }
  }

  /** The stages plus `total`, from construction until now. */
  finish(): Record<string, number> {
    return { ...this.stages, total: round(performance.now() - this.started) };
  }
}

/** Microsecond resolution is plenty, and keeps JSON answers short. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

import { setTimeout as sleep } from "node:timers/promises";

export interface BackoffOptions {
  /** Delay cap of the first retry, doubling each attempt. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(max, base·2^(retry-1))], so
 * clients throttled together do not come back together.
 */
export function backoffDelay(retry: number, { baseDelayMs, maxDelayMs }: BackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

/** Waits, unless the caller gives up first (rejecting with its abort reason). */
export async function waitBeforeRetry(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : {});
}

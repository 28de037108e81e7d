/** Combines the caller's signal with a timeout; `timedOut()` tells which one fired. */
export function deadline(signal: AbortSignal | undefined, timeoutMs: number | undefined): { signal: AbortSignal | undefined; timedOut: () => boolean } {
  if (timeoutMs === undefined) return { signal, timedOut: () => false };
  const timeout = AbortSignal.timeout(timeoutMs);
  return { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, timedOut: () => timeout.aborted && !(signal?.aborted ?? false) };
}

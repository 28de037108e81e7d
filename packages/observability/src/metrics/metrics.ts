/**
 * What the service counts, as one small seam: the API, the pipeline and the backends report through
 * it and never name a metrics library. `noopMetrics` costs nothing (eval, the CLI, tests that do not
 * look); `createPrometheusMetrics` (./prometheus) keeps them in a registry of its own per app.
 */
export interface Metrics {
  /** One HTTP request answered: its route template (never the raw path), method, status and duration. */
  request(route: string, method: string, status: number, seconds: number): void;
  /** One stage of one request (embed, retrieve, load, fuse, transport, infer) and how long it took. */
  stage(stage: string, seconds: number): void;
  /** A plan's adapters: each one selected once for the library, with its weight. */
  selection(library: string, adapters: readonly { readonly adapter: string; readonly weight: number }[]): void;
  /** Whether a request's fused adapter came from the cache. */
  fusedCache(cached: boolean): void;
  /** Bytes of adapter weights one request moved to the segmenter's process (0 when it travelled by reference or stayed in process). */
  adapterBytes(bytes: number): void;
  /** One endpoint invocation retried (throttled, 5xx, unreachable). */
  backendRetry(): void;
  /** One endpoint invocation that did not answer in time. */
  backendTimeout(): void;
  /** One request judged out of the library's coverage. */
  outOfLibrary(library: string): void;
  /** Reads the adapter cache's totals when the metrics are collected (not per request). */
  watchAdapterCache(read: () => AdapterCacheTotals): void;
}

/** The adapter cache's running totals (the adapters unit's stats()). */
export interface AdapterCacheTotals {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
  readonly entries: number;
}

/** Counts nothing. */
export const noopMetrics: Metrics = {
  request() {},
  stage() {},
  selection() {},
  fusedCache() {},
  adapterBytes() {},
  backendRetry() {},
  backendTimeout() {},
  outOfLibrary() {},
  watchAdapterCache() {},
};

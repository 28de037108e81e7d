/**
 * Every size and count a request controls, bounded once here and imported by whoever checks it: the
 * API's schemas, the pipeline, the transport and the endpoint read the same numbers, so a value
 * accepted at the edge is never refused (or worse, allocated) further in.
 */
export const LIMITS = {
  /** Nearest adapters fused per request: the paper fuses 5; more is no longer "the nearest few". */
  k: 64,
  /**
   * Path and query string of a request, in bytes: the API's queries carry a few ids, a name and a
   * cursor (well under 1 KiB); 8 KiB is the usual proxy limit, and half of Node's 16 KiB for the
   * request line and headers together, so a long URL gets the API's own 414 wherever it runs.
   */
  urlBytes: 8 * 1024,
} as const;

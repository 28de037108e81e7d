/**
 * Every size and count a request controls, bounded once here and imported by whoever checks it: the
 * API's schemas, the pipeline, the transport and the endpoint read the same numbers, so a value
 * accepted at the edge is never refused (or worse, allocated) further in.
 */
export const LIMITS = {
  /** Nearest adapters fused per request: the paper fuses 5; more is no longer "the nearest few". */
  k: 64,
} as const;

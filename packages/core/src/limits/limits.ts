/**
 * Every size and count a request controls, bounded once here and imported by whoever checks it: the
 * API's schemas, the pipeline, the transport and the endpoint read the same numbers, so a value
 * accepted at the edge is never refused (or worse, allocated) further in.
 */
export const LIMITS = {
  /** Nearest adapters fused per request: the paper fuses 5; more is no longer "the nearest few". */
  k: 64,
  /** Bytes of one adapter_config.json: PEFT writes a few KB, a rank_pattern naming every module some 100 KB. */
  configBytes: 256 * 1024,
  /** Nesting depth of adapter_config.json: PEFT's nest 3 deep; 10,000 deep overflows the stack when serialised. */
  configDepth: 32,
  /** Characters of one PEFT pattern (a target_modules regex, a rank_pattern or alpha_pattern key). */
  patternLength: 1024,
  /** Keys of one rank_pattern or alpha_pattern: at most one per module of a large model. */
  patternKeys: 1024,
  /**
   * RE2 program size (instructions) of all of a config's patterns together, which compile time
   * grows with (a{1000} alone is 1,002; a dozen typical patterns a few hundred).
   */
  patternProgram: 20_000,
  /**
   * Module-name characters × program size an adapter's patterns may be matched over: RE2 matches in
   * time linear in both, at worst some 100 ns per unit here (2·10⁷ ≈ 2 s); a SemLA CAT-Seg-L
   * adapter (214 modules) with a regex target_modules and a few pattern keys needs 3·10⁶.
   */
  patternWork: 20_000_000,
  /**
   * Path and query string of a request, in bytes: the API's queries carry a few ids, a name and a
   * cursor (well under 1 KiB); 8 KiB is the usual proxy limit, and half of Node's 16 KiB for the
   * request line and headers together, so a long URL gets the API's own 414 wherever it runs.
   */
  urlBytes: 8 * 1024,
} as const;

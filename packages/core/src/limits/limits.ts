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
   * RE2 program size (instructions) of all of a config's patterns together: compile time, and the
   * per-character cost of matching a module name, grow with it (a{1000} alone is 1,002).
   */
  patternProgram: 100_000,
  /** Characters of a LoRA module name: matching patterns costs name length × program size. */
  moduleNameLength: 1024,
} as const;

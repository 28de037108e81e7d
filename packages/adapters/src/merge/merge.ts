import { fusion, type LoraAdapter } from "@semla/core";
import type { Mixture } from "../types.js";

/**
 * A mixture's loaded sources fused as its options say (core fusion, in slices so the event loop
 * keeps serving). Every adapter goes through the fusion, even alone: it folds each one's scaling
 * into the factors, which is the form the segmenter applies. No caller's signal: the result is
 * shared by every request waiting on this mixture.
 */
export function merge(sources: readonly LoraAdapter[], mixture: Mixture): Promise<LoraAdapter> {
  return fusion.fuseAdaptersAsync(
    sources.map((adapter, i) => ({ adapter, weight: mixture.sources[i]!.weight })),
    mixture.options,
  );
}

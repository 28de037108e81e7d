import { concatenateParts, concatenatedRank, type FusedFactors, type ModulePart } from "./module-parts.js";

/** `cat`: exact, rank Σrᵢ. */
export const catRank = concatenatedRank;

export function fuseCat(parts: readonly ModulePart[], rank: number): FusedFactors {
  return concatenateParts(parts, rank);
}

import { z } from "zod";
import { describeIssues } from "../limits/issues.js";
import { LIMITS } from "../limits/limits.js";
import { FusionError } from "./errors.js";

const density = z.number().min(0).max(1).describe("fraction of entries kept by pruning (PEFT `density`)");
const majoritySign = z.enum(["total", "frequency"]).default("total").describe("how TIES elects the sign of each entry");
const seed = z.number().int().min(0).max(0xffffffff).default(0).describe("seed of the DARE drop masks (reproducible)");

/** How to combine weighted adapters: PEFT's `add_weighted_adapter` combination types. */
export const FusionOptionsSchema = z.discriminatedUnion("combination", [
  z.object({ combination: z.literal("cat") }).describe("exact: rank Σrᵢ, ΔW = Σ wᵢ·sᵢ·BᵢAᵢ"),
  z.object({ combination: z.literal("linear") }),
  z.object({ combination: z.literal("ties"), density, majoritySign }),
  z.object({ combination: z.literal("dare_linear"), density, seed }),
  z.object({ combination: z.literal("dare_ties"), density, majoritySign, seed }),
  z.object({ combination: z.literal("magnitude_prune"), density }),
  z.object({
    combination: z.literal("svd"),
    rank: z.number().int().positive().max(LIMITS.svdRank).optional().describe("rank of the fused adapter, at most min(in, out) of every module; default: the largest input rank"),
    clamp: z.number().gt(0).lt(1).optional().describe("quantile at which to clamp the factors (PEFT `svd_clamp`)"),
  }),
]);

export type FusionOptions = z.output<typeof FusionOptionsSchema>;
export type FusionOptionsInput = z.input<typeof FusionOptionsSchema>;
export type Combination = FusionOptions["combination"];

/**
 * Parses options at an edge (a command, a test), turning zod's failure into a FusionError
 * (fusion.invalid-options) naming every bad field. Fusion itself takes the parsed FusionOptions.
 */
export function parseFusionOptions(input: FusionOptionsInput): FusionOptions {
  const parsed = FusionOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new FusionError("invalid-options", `invalid fusion options: ${describeIssues(parsed.error.issues, { whole: "options" })}`);
}

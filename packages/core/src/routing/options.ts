import { z } from "zod";
import { describeIssues } from "../limits/issues.js";
import { LIMITS } from "../limits/limits.js";
import { MetricSchema } from "./distance.js";
import { RoutingError } from "./errors.js";

/**
 * Routing options. Defaults follow the SemLA reference: the 5 nearest adapters, softmax
 * temperature 0.05 over inverse euclidean distance. Strict, so a misspelt key (say `topK`)
 * is reported instead of silently falling back to the default.
 */
export const RoutingOptionsSchema = z.strictObject({
  k: z.number().int().min(1).max(LIMITS.k).default(5).describe("How many nearest adapters to fuse"),
  // z.number() already rejects NaN and ±Infinity in zod v4.
  temperature: z.number().min(LIMITS.temperature.min).max(LIMITS.temperature.max).default(0.05).describe("Softmax temperature over similarities"),
  metric: MetricSchema.default("euclidean"),
  exclude: z.array(z.string().max(LIMITS.adapterName)).max(LIMITS.exclude).default([]).describe("Adapter ids never chosen, removed before taking the top k (leave-one-out)"),
});
export type RoutingOptions = z.output<typeof RoutingOptionsSchema>;
export type RoutingOptionsInput = z.input<typeof RoutingOptionsSchema>;

/**
 * Parses options at an edge (a command, a test), turning zod's failure into a RoutingError that
 * lists every bad field. Routing itself takes the parsed RoutingOptions and does not parse again.
 */
export function parseRoutingOptions(input: RoutingOptionsInput = {}): RoutingOptions {
  const result = RoutingOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  throw new RoutingError("routing.invalid-options", `invalid routing options: ${describeIssues(result.error.issues, { whole: "options" })}`, {
    issues: result.error.issues,
  });
}

/** The SemLA reference defaults, parsed: k 5, temperature 0.05, euclidean, nothing excluded. */
export const ROUTING_DEFAULTS: Readonly<RoutingOptions> = Object.freeze(parseRoutingOptions());

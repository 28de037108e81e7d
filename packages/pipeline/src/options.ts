import { coverage, describeIssues, fusion, LIMITS, routing, text } from "@semla/core";
import { z } from "zod";
import { PipelineError } from "./errors.js";

/**
 * How to pick and weight adapters. Unset fields take the SemLA reference defaults (k 5, T 0.05) and
 * the library's own metric. Strict, so a misspelt option is reported rather than ignored.
 */
export const RouteOptionsSchema = z.strictObject({
  k: z.number().int().min(1).max(LIMITS.k).optional().describe("How many nearest adapters to fuse (default 5; uniform: every adapter)"),
  temperature: z.number().min(LIMITS.temperature.min).max(LIMITS.temperature.max).optional().describe("Softmax temperature over similarities (default 0.05)"),
  metric: routing.MetricSchema.optional().describe("Distance metric (default: the library's, served by its HNSW index; the other is an exact scan)"),
  exclude: z.array(text().min(1).max(LIMITS.adapterName)).max(LIMITS.exclude).default([]).describe("Adapter ids or names never chosen (leave-one-out)"),
  exact: z.boolean().default(false).describe("Exact scan instead of the HNSW index"),
  efSearch: z.number().int().min(1).max(LIMITS.efSearch).optional().describe("HNSW candidate list size (recall against latency)"),
  coverage: coverage.CoveragePolicySchema.optional().describe("What an out-of-library image gets: fuse (SemLA's behaviour), zeroshot (the base model) or refuse (422); default the library's policy"),
});
export type RouteOptions = z.output<typeof RouteOptionsSchema>;
export type RouteOptionsInput = z.input<typeof RouteOptionsSchema>;

/**
 * - semla: the k nearest adapters, softmax-weighted (the paper's method);
 * - uniform: equal weights over the library (or its k nearest), the paper's uniform-merge baseline;
 * - zeroshot: the base model alone;
 * - adapter: one named adapter at weight 1 (the oracle, when it is the target domain's own).
 */
export const SegmentModeSchema = z.enum(["semla", "uniform", "zeroshot", "adapter"]);
export type SegmentMode = z.infer<typeof SegmentModeSchema>;

export const SegmentOptionsSchema = RouteOptionsSchema.extend({
  mode: SegmentModeSchema.default("semla"),
  adapter: text().min(1).max(LIMITS.adapterName).optional().describe("Adapter id or name (mode adapter)"),
  fusion: fusion.FusionOptionsSchema.default({ combination: "cat" }).describe("How the chosen adapters are combined (PEFT add_weighted_adapter)"),
}).superRefine((value, context) => {
  if (value.mode === "adapter" && value.adapter === undefined) {
    context.addIssue({ code: "custom", path: ["adapter"], message: "mode adapter needs the adapter's id or name" });
  }
  if (value.mode !== "adapter" && value.adapter !== undefined) {
    context.addIssue({ code: "custom", path: ["adapter"], message: `adapter is only for mode adapter, not ${value.mode}` });
  }
});
export type SegmentOptions = z.output<typeof SegmentOptionsSchema>;
export type SegmentOptionsInput = z.input<typeof SegmentOptionsSchema>;

/**
 * Parses options with `schema` at an edge that does not validate them itself (the API's request
 * schema does; `semla eval` and tests call this), turning zod's failure into a PipelineError
 * (pipeline.invalid-options) listing every bad field. The pipeline takes the parsed types.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new PipelineError("invalid-options", `invalid options: ${describeIssues(result.error.issues, { whole: "options" })}`, { issues: result.error.issues });
}

/** What a request without options gets, parsed once. */
export const ROUTE_DEFAULTS: Readonly<RouteOptions> = Object.freeze(parseOptions(RouteOptionsSchema, {}));
export const SEGMENT_DEFAULTS: Readonly<SegmentOptions> = Object.freeze(parseOptions(SegmentOptionsSchema, {}));

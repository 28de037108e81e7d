import { z } from "zod";
import { MetricSchema } from "./distance.js";
import { SimilarityKindSchema } from "./similarity.js";

/** How the weights were obtained: softmax over similarities, or the paper's uniform-merge baseline. */
export const WeightingSchema = z.enum(["softmax", "uniform"]);
export type Weighting = z.infer<typeof WeightingSchema>;

export const PlannedAdapterSchema = z.object({
  id: z.string(),
  rank: z.number().int().min(1).describe("1-based position, nearest first"),
  distance: z.number().min(0).nullable().describe("Distance from the query in the plan's metric; null only in a uniform plan built from bare ids"),
  similarity: z
    .number()
    .nullable()
    .describe(
      "Similarity the weight is computed from: 1/distance ('inverse-euclidean') or cosine similarity ('cosine'). " +
        "null stands for +Infinity, a zero euclidean distance, which JSON cannot carry: such adapters share all " +
        "the weight equally and the rest get 0. Also null when no distance is known (uniform plan from ids).",
    ),
  weight: z.number().min(0).max(1).describe("Fusion weight; the weights of a non-empty plan sum to 1"),
});
export type PlannedAdapter = z.infer<typeof PlannedAdapterSchema>;

/**
 * Which adapters to fuse and with what weights, plus everything needed to explain the choice.
 * Empty `adapters` means nothing was eligible (empty library, or all excluded): the caller
 * falls back to the zero-shot model.
 */
export const FusionPlanSchema = z.object({
  weighting: WeightingSchema,
  metric: MetricSchema,
  temperature: z.number().positive().nullable().describe("Softmax temperature; null for a uniform plan"),
  k: z.number().int().min(1).describe("Number of adapters requested; fewer are planned if fewer are eligible"),
  exclude: z.array(z.string()).describe("Ids removed before the top k was taken"),
  similarity: SimilarityKindSchema,
  adapters: z.array(PlannedAdapterSchema).describe("Nearest first"),
});
export type FusionPlan = z.infer<typeof FusionPlanSchema>;

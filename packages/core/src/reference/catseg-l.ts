import { z } from "zod";
import reference from "./semla-catseg-l-lora-modules.json" with { type: "json" };

/**
 * The 214 LoRA target modules of a SemLA CAT-Seg-L adapter (rank 8, alpha 16) with their shapes:
 * realistic fixtures for tests, the demo and benchmarks.
 */
const ReferenceSchema = z.object({
  r: z.number().int().positive(),
  lora_alpha: z.number(),
  modules: z.record(z.string(), z.object({ in: z.number().int().positive(), out: z.number().int().positive(), exact: z.boolean() })),
  bytes_f32: z.number().int(),
});

const parsed = ReferenceSchema.parse(reference);

export interface ModuleShape {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

export const CATSEG_L_RANK = parsed.r;
export const CATSEG_L_ALPHA = parsed.lora_alpha;
export const CATSEG_L_BYTES_F32 = parsed.bytes_f32;
export const CATSEG_L_MODULES: readonly ModuleShape[] = Object.entries(parsed.modules).map(([name, shape]) => ({
  name,
  inFeatures: shape.in,
  outFeatures: shape.out,
}));

import { LIMITS, peft } from "@semla/core";
import { FUSED_PREFIX } from "@semla/storage";
import { z } from "zod";

/** The pieces of the wire format the API and the endpoint both validate. */

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");

/**
 * Object keys are content-addressed: a source's key ends in its own sha256, a fused object's key is
 * `fused/<sha256>.safetensors`, so a reference cannot point the endpoint at an arbitrary object.
 */
const ObjectKeySchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*$/, "must be a relative key of [A-Za-z0-9._-] segments")
  .refine((key) => !key.split("/").some((segment) => segment === "." || segment === ".."), "must not contain . or .. segments");

export const CatSourceSchema = z
  .object({
    sha256: Sha256Schema,
    objectKey: ObjectKeySchema,
    config: peft.PeftLoraConfigSchema,
    weight: z.number().finite(),
  })
  .refine((s) => s.objectKey.endsWith(`/${s.sha256}.safetensors`), { message: "objectKey must end in /<sha256>.safetensors", path: ["objectKey"] });

/** An AdapterReference as it travels in the envelope's header: inline weights travel after the image. */
export const AdapterReferenceHeaderSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }),
  z.object({ kind: z.literal("inline"), sha256: Sha256Schema, config: peft.PeftLoraConfigSchema }),
  z.object({ kind: z.literal("cat"), sha256: Sha256Schema, sources: z.array(CatSourceSchema).min(1).max(LIMITS.k) }),
  z
    .object({ kind: z.literal("object"), sha256: Sha256Schema, objectKey: ObjectKeySchema, config: peft.PeftLoraConfigSchema })
    .refine((r) => r.objectKey === `${FUSED_PREFIX}${r.sha256}.safetensors`, { message: "objectKey must be fused/<sha256>.safetensors", path: ["objectKey"] }),
]);

export type AdapterReferenceHeader = z.output<typeof AdapterReferenceHeaderSchema>;

/** How the endpoint applied the mixture: a reference's kind, or `bank` (the library's bank session, no adapter built). */
export const AdapterKindSchema = z.enum(["none", "inline", "cat", "object", "bank"]);

/** A library's id as a bank is named by it (the registry's UUID, or any short printable id). */
const LibraryIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "must be 1-128 characters of [A-Za-z0-9._-]");
/** A library's generation: bumped whenever its adapters change, so (library, generation) names one bank. */
const GenerationSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * A plan for a library's bank (bank mode): the library at a generation, and the plan's adapters as
 * indices into that generation's bank manifest with their weights (the cat fusion's wᵢ). A few hundred
 * bytes instead of an adapter or a manifest.
 */
export const BankPlanSchema = z
  .object({
    library: LibraryIdSchema,
    generation: GenerationSchema,
    indices: z.array(z.number().int().nonnegative()).min(1).max(LIMITS.k),
    weights: z.array(z.number().finite()).min(1).max(LIMITS.k),
  })
  .refine((p) => p.indices.length === p.weights.length, { message: "indices and weights must have the same length", path: ["weights"] });

export type BankPlan = z.output<typeof BankPlanSchema>;

/**
 * What a bank is built from: a library's adapters at a generation, in bank order (index i of a plan
 * is adapters[i]), published in the adapter store under bankManifestKey(library, generation).
 */
export const BankManifestSchema = z.object({
  library: LibraryIdSchema,
  generation: GenerationSchema,
  adapters: z
    .array(
      z
        .object({ sha256: Sha256Schema, objectKey: ObjectKeySchema, config: peft.PeftLoraConfigSchema })
        .refine((s) => s.objectKey.endsWith(`/${s.sha256}.safetensors`), { message: "objectKey must end in /<sha256>.safetensors", path: ["objectKey"] }),
    )
    .min(1)
    .max(LIMITS.bankAdapters),
});

export type BankManifest = z.output<typeof BankManifestSchema>;

export const bankManifestKey = (library: string, generation: number) => `banks/${library}/${generation}.json`;

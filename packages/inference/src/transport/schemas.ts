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

export const AdapterKindSchema = z.enum(["none", "inline", "cat", "object"]);

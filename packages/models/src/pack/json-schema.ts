import { z } from "zod";
import { ModelPackManifestSchema } from "./manifest.js";

/** Where the JSON Schema of semla-models.json is committed (generated from the zod schema: `npm run schemas`). */
export const MODEL_PACK_SCHEMA_FILE = "packages/models/schemas/semla-models.schema.json";

/** The manifest's JSON Schema, as a manifest is written (defaults may be left out). */
export function modelPackJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ModelPackManifestSchema, { io: "input", unrepresentable: "any" }),
    $id: "https://semla.dev/schemas/semla-models.schema.json",
    title: "SemLA Serve model pack manifest (semla-models.json)",
  };
}

/** The committed file's text: the schema, two-space indented, with a final newline. */
export function modelPackJsonSchemaText(): string {
  return `${JSON.stringify(modelPackJsonSchema(), null, 2)}\n`;
}

/** Writes the JSON Schemas generated from the zod schemas (a test checks the committed files match). */
import { writeFile } from "node:fs/promises";
import { MODEL_PACK_SCHEMA_FILE, modelPackJsonSchemaText } from "@semla/models";

await writeFile(MODEL_PACK_SCHEMA_FILE, modelPackJsonSchemaText());
console.log(`wrote ${MODEL_PACK_SCHEMA_FILE}`);

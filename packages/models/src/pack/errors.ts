import { SemlaError } from "@semla/core";

/**
 * A model pack that cannot be served: each names the file and the rule it breaks. They are raised at
 * start (or by `semla models check`), never mid-request, so their kind is the server's (`internal`).
 */
export type ModelPackRule =
  | "manifest" // no readable semla-models.json, not JSON, or not the schema
  | "file" // a file the manifest lists is missing, or of another size or sha256
  | "preprocessing" // a preprocessor_config.json that is not one
  | "tokenizer" // a tokenizer.json that cannot tokenize class names
  | "class-table" // precomputed class embeddings that do not match their names or dimension
  | "interface" // a model without the inputs or outputs the manifest names, or of other dimensions
  | "missing-model"; // a pack without a model a route needs

export class ModelPackError extends SemlaError {
  constructor(
    readonly rule: ModelPackRule,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(`models.${rule}`, message, { rule, ...details }, "internal");
  }
}

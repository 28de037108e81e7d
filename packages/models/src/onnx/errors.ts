import { SemlaError } from "@semla/core";

/** Stable codes, so callers and tests can branch on the failure without parsing messages. */
export type OnnxErrorCode = "onnx.graph-invalid" | "onnx.model-too-large" | "onnx.config-invalid" | "onnx.class-name-empty" | "onnx.adapter-mismatch";

/** A graph, model config or adapter that cannot become (or feed) a valid ONNX model. */
export class OnnxError extends SemlaError {
  declare readonly code: OnnxErrorCode;

  constructor(code: OnnxErrorCode, message: string, details: Record<string, unknown> = {}) {
    // The service's own model files; a class name or adapter that cannot feed them is the caller's.
    super(code, message, details, code === "onnx.class-name-empty" || code === "onnx.adapter-mismatch" ? "invalid" : "internal");
  }
}

export * from "./errors.js";
export { SAGEMAKER_PAYLOAD_LIMIT_BYTES } from "./limits.js";
export { AdapterReferenceHeaderSchema, CatSourceSchema, Sha256Schema, type AdapterReferenceHeader } from "./schemas.js";
export {
  INVOCATION_CONTENT_TYPE,
  INVOCATION_VERSION,
  InvocationHeaderSchema,
  MAX_INVOCATION_HEADER_BYTES,
  checkInferenceRequest,
  decodeInvocation,
  encodeInvocation,
  invocationByteLength,
  type InvocationHeader,
} from "./envelope.js";
export { InferenceResponseSchema, RESPONSE_CONTENT_TYPE, decodeInferenceResponse, encodeInferenceResponse, toResponseWire, type InferenceResponseWire } from "./response.js";

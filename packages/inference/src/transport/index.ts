export {
  checkInferenceRequest,
  decodeInvocation,
  encodeInvocation,
  INVOCATION_BANK_VERSION,
  INVOCATION_CONTENT_TYPE,
  INVOCATION_VERSION,
  type InvocationHeader,
  InvocationHeaderSchema,
  invocationByteLength,
  MAX_INVOCATION_HEADER_BYTES,
} from "./envelope.js";
export * from "./errors.js";
export { SAGEMAKER_PAYLOAD_LIMIT_BYTES } from "./limits.js";
export { decodeInferenceResponse, encodeInferenceResponse, InferenceResponseSchema, type InferenceResponseWire, RESPONSE_CONTENT_TYPE, toResponseWire } from "./response.js";
export {
  type AdapterReferenceHeader,
  AdapterReferenceHeaderSchema,
  type BankManifest,
  BankManifestSchema,
  type BankPlan,
  BankPlanSchema,
  bankManifestKey,
  CatSourceSchema,
  Sha256Schema,
} from "./schemas.js";

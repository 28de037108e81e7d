export * from "./errors.js";
export { createLocalBackend, type LocalBackendOptions } from "./local.js";
export { createSageMakerBackend, type SageMakerBackendOptions } from "./sagemaker.js";

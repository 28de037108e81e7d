export * from "./errors.js";
export { createLocalBackend, type LocalBackendOptions } from "./local.js";
export { createSageMakerBackend, type SageMakerBackendOptions } from "./sagemaker.js";
export { adapterReference, catManifestReference, deliverMixture, mayFitInline, type AdapterReferenceInput, type AdapterReferenceOptions, type DeliveryOptions } from "./sagemaker-delivery.js";

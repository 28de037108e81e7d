export * from "./errors.js";
export { createLocalBackend, type LocalBackendOptions } from "./local.js";
export { createSageMakerBackend, type SageMakerBackendOptions } from "./sagemaker.js";
export { type BankPlans, createBankPlans } from "./sagemaker-bank.js";
export { type AdapterReferenceInput, type AdapterReferenceOptions, adapterReference, catManifestReference, type DeliveryOptions, deliverMixture, mayFitInline } from "./sagemaker-delivery.js";

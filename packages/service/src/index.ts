// @semla/service: the one composition root. Subpaths keep bundles small: ./config and ./store need no
// database or ONNX Runtime, ./registry no ONNX Runtime (the sweep Lambda imports only that far).

export { type LocalBackendOptions, openBackend, openLocalBackend, openSageMakerBackend } from "./backend.js";
export { type ApiConfig, ConfigError, ConfigSchema, configuredDatabase, parseConfig, type ServiceConfig, StoreSettingsSchema } from "./config.js";
export * from "./data-folder/index.js";
export { describePack, type LocateModelsOptions, locateModels, ModelPackError } from "./models.js";
export { openPipeline, type PipelineHandle, type PipelineOptions } from "./pipeline.js";
export { openRegistry, publicUrlOf, type Registry } from "./registry.js";
export { adapterStoreSpecOf, describeStore, openServiceStore, openStore, type StoreSpec } from "./store.js";

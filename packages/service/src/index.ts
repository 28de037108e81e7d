// @semla/service: the one composition root. Subpaths keep bundles small: ./config and ./store need no
// database or ONNX Runtime, ./registry no ONNX Runtime (the sweep Lambda imports only that far).
export { ConfigSchema, StoreSettingsSchema, ConfigError, parseConfig, type ServiceConfig, type ApiConfig } from "./config.js";
export { openStore, openServiceStore, describeStore, adapterStoreSpecOf, type StoreSpec } from "./store.js";
export { openRegistry, publicUrlOf, type Registry } from "./registry.js";
export { locateModels, ModelArtifactsError, type LocateModelsOptions } from "./models.js";
export { openBackend, openLocalBackend, openSageMakerBackend, type LocalBackendOptions } from "./backend.js";
export { openPipeline, type PipelineHandle, type PipelineOptions } from "./pipeline.js";
export * from "./data-folder/index.js";

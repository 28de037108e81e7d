export * from "./errors.js";
export * from "./options.js";
export { activeAdapters } from "./retrieve.js";
export { createPipeline, type Contribution, type Pipeline, type PipelineDeps, type PipelineTimings, type RouteInput, type RouteResult, type SegmentInput, type SegmentResult } from "./pipeline.js";

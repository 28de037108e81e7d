export { type CoverageAnswer, CoverageAnswerSchema, coverageOf, createCalibrations } from "./coverage.js";
export * from "./errors.js";
export * from "./options.js";
export {
  type Contribution,
  checkEmbeddingModel,
  createPipeline,
  type FuseInput,
  type FuseResult,
  type FuseSelection,
  type Pipeline,
  type PipelineDeps,
  type PipelineTimings,
  type PreparedSegment,
  type RouteInput,
  type RouteResult,
  type SegmentInput,
  type SegmentResult,
} from "./pipeline.js";
export { activeAdapters } from "./retrieve.js";
export { StageTimer } from "./stage-timer.js";

// Test support, exported as @semla/endpoint/testing (never imported by production code).

export { type FakeSegmenter, fakeSegmenter, ONE_PIXEL_PNG } from "./fake-segmenter.js";
export { gradientPng } from "./gradient-png.js";
export { rawEnvelope } from "./raw-envelope.js";
export { AsyncInferenceQueue, InferenceComponentCapacity, type SageMakerFrontOptions, sageMakerFront } from "./sagemaker-front.js";

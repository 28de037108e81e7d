// Test support, exported as @semla/endpoint/testing (never imported by production code).
export { sageMakerFront } from "../test-front.js";
export { rawEnvelope } from "../raw-envelope.fixture.js";
export { gradientPng } from "../test-png.js";

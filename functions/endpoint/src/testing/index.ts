// Test support, exported as @semla/endpoint/testing (never imported by production code).

export { rawEnvelope } from "../raw-envelope.fixture.js";
export { sageMakerFront } from "../test-front.js";
export { gradientPng } from "../test-png.js";

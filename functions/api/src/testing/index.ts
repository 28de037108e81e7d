// Test and benchmark support, exported as @semla/api/testing (never imported by production code).
export * from "./e2e-harness.js";
export * from "./fixtures.js";
export * from "./tcp-proxy.js";

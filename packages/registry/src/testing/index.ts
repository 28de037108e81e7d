// Test and benchmark support, exported as @semla/registry/testing (never imported by production code).

export { createHnswIndex, hnswIndexName } from "../db/hnsw.js";
export { defaultEfSearch } from "../db/nearest.js";
export { toVectorLiteral } from "../db/vector.js";
export { type ContractDatabase, type ContractDriver, describeAdapterIndexContract } from "./adapter-index-contract/index.js";
export { DATA_API_EXCEPTIONS, type DataApiException, type DataApiServer, type DataApiServerOptions, startDataApiServer } from "./data-api-server.js";
export { newAdapter, newLibrary, uniqueTenant } from "./fixtures.js";
export * from "./harness.js";
export { createTestPgliteIndex, openTestPglite } from "./pglite.js";
export { createScratchDatabase, type ScratchDatabase } from "./scratch-database.js";

export * from "./db/index.js";
export * from "./errors.js";
export * from "./ingest/loradb.js";
export * from "./ingest/register.js";
export * from "./ingest/sweep.js";
export * from "./ingest/validate.js";

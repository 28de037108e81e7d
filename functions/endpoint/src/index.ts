// The endpoint as a library: its app and the segmenter loading its main wires (the container runs src/main.ts).
export { createEndpointApp } from "./app.js";
export { bankBuilder, createEndpointBanks, type EndpointBanks } from "./banks.js";
export { loadSegmenter } from "./segmenter.js";

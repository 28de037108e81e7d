export * from "./arrays.js";
export * from "./clip-reference.js";
export * from "./images.js";
export * from "./sagemaker-no-capacity.js";
export * from "./sagemaker-server.js";
export * from "./tiny-models.js";
export * from "./transport.js";

export * from "./files/model-files.js";
export * from "./files/open-model-files.js";
export * as onnx from "./onnx/index.js";
export * from "./tensor-names.js";

export * as onnx from "./onnx/index.js";
export * from "./pack/index.js";
export * from "./preprocessing/index.js";
export * from "./surgery/index.js";
export * from "./tensor-names.js";
export * from "./tokenizer/index.js";

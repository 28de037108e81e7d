export { onnx } from "@semla/core";

export { SafetensorsError, type SafetensorsErrorOptions, type SafetensorsRule } from "./errors.js";
export {
  DTYPE_SIZES,
  dtypeSize,
  fromFloat32,
  isDtype,
  isFloatDtype,
  isWritableDtype,
  toFloat32,
  type Dtype,
  type FloatDtype,
  type WritableDtype,
} from "./dtype.js";
export { bf16BitsToNumber, f16BitsToNumber, numberToBf16Bits, numberToF16Bits } from "./half.js";
export { findDuplicateTopLevelKey } from "./json-keys.js";
export {
  MAX_HEADER_LENGTH,
  parseHeaderLength,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  type TensorInfo,
} from "./header.js";
export { readSafetensors, readSafetensorsHeader, readTensor, type ReadTensorOptions, type SafetensorsContents } from "./read.js";
export { writeSafetensors, type TensorToWrite } from "./write.js";

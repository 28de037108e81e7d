export {
  DTYPE_SIZES,
  type Dtype,
  dtypeSize,
  type FloatDtype,
  fromFloat32,
  isDtype,
  isFloatDtype,
  isWritableDtype,
  toFloat32,
  type WritableDtype,
} from "./dtype.js";
export { SafetensorsError, type SafetensorsErrorOptions, type SafetensorsRule } from "./errors.js";
export { bf16BitsToNumber, f16BitsToNumber, numberToBf16Bits, numberToF16Bits } from "./half.js";
export {
  MAX_HEADER_LENGTH,
  parseHeaderLength,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  type TensorInfo,
} from "./header.js";
export { findDuplicateTopLevelKey } from "./json-keys.js";
export { type ReadTensorOptions, readSafetensors, readSafetensorsHeader, readTensor, type SafetensorsContents } from "./read.js";
export { type TensorToWrite, writeSafetensors } from "./write.js";

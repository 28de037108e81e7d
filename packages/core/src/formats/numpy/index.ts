export { NumpyFormatError, type NumpyFormatErrorOptions, type NumpyRule } from "./errors.js";
export { readNpy, writeNpy, type NpyArray } from "./npy.js";
export { MAX_HEADER_LENGTH, NPY_MAGIC, hasNpyMagic, parseNpyHeader, type NpyHeader } from "./npy-header.js";
export type { NpyFloatDescr } from "./dtype.js";
export { crc32 } from "./crc32.js";
export { DEFAULT_MAX_MEMBER_SIZE, readZip, type ReadZipOptions, type ZipArchive } from "./zip.js";
export { openNpz, readNpz, type NpzArchive } from "./npz.js";
export {
  CentroidError,
  SEMLA_CENTROID_KEY,
  detectCentroidFormat,
  parseCentroid,
  type CentroidFormat,
  type CentroidInput,
  type CentroidOptions,
  type CentroidRule,
} from "./centroid.js";
export { writeNpz } from "./npz-write.js";

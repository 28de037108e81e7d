export {
  CentroidError,
  type CentroidFormat,
  type CentroidInput,
  type CentroidOptions,
  type CentroidRule,
  detectCentroidFormat,
  parseCentroid,
  SEMLA_CENTROID_KEY,
  SEMLA_SPREAD_KEYS,
} from "./centroid.js";
export { crc32 } from "./crc32.js";
export type { NpyFloatDescr } from "./dtype.js";
export { NumpyFormatError, type NumpyFormatErrorOptions, type NumpyRule } from "./errors.js";
export { type NpyArray, readNpy, writeNpy } from "./npy.js";
export { hasNpyMagic, MAX_HEADER_LENGTH, NPY_MAGIC, type NpyHeader, parseNpyHeader } from "./npy-header.js";
export { type NpzArchive, openNpz, readNpz } from "./npz.js";
export { writeNpz } from "./npz-write.js";
export { DEFAULT_MAX_MEMBER_SIZE, type ReadZipOptions, readZip, type ZipArchive } from "./zip.js";
export { writeZip } from "./zip-write.js";

import { DTYPE_SIZES, type Dtype, isDtype } from "./dtype.js";
import { SafetensorsError } from "./errors.js";
import { findDuplicateTopLevelKey } from "./json-keys.js";

/** The reference implementation's cap: a larger header is refused before it is read. */
export const MAX_HEADER_LENGTH = 100_000_000;
/** The u64 header length that starts every file. */
export const PREFIX_LENGTH = 8;

const METADATA_KEY = "__metadata__";
const ENTRY_FIELDS = ["data_offsets", "dtype", "shape"];

export interface TensorInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: number[];
  /** Byte offsets relative to the start of the data buffer (header.dataOffset). */
  readonly begin: number;
  readonly end: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  /** N: the JSON header's length in bytes, padding included. */
  readonly headerLength: number;
  /** 8 + N: where the data buffer starts in the file. */
  readonly dataOffset: number;
  readonly metadata: Record<string, string> | undefined;
  /** Sorted by begin offset (the data buffer's layout). */
  readonly tensors: readonly TensorInfo[];
  readonly byName: ReadonlyMap<string, TensorInfo>;
}

/**
 * Reads N from the 8-byte prefix and checks it against the cap and the file size, so a reader
 * knows how many header bytes to fetch before fetching them.
 */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number): number {
  if (fileSize < PREFIX_LENGTH || prefix.byteLength < PREFIX_LENGTH) {
    throw new SafetensorsError("truncated", { reason: `${Math.min(fileSize, prefix.byteLength)} bytes, fewer than the 8-byte header length` });
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_LENGTH);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  // high !== 0 means N >= 2^32, far past the cap; avoid building an imprecise number from it.
  if (high !== 0 || low > MAX_HEADER_LENGTH) {
    const declared = high === 0 ? String(low) : String(view.getBigUint64(0, true));
    throw new SafetensorsError("header-too-large", { reason: `declared ${declared} bytes`, extra: { headerLength: declared } });
  }
  if (PREFIX_LENGTH + low > fileSize) {
    throw new SafetensorsError("truncated", { reason: `header of ${low} bytes needs ${PREFIX_LENGTH + low} bytes but the file has ${fileSize}` });
  }
  return low;
}

/**
 * Parses and validates a header from its two pieces: the 8-byte prefix and the N header bytes
 * that follow it. `fileSize` lets it check that the data buffer is exactly as long as the
 * tensors' offsets say, without reading the data.
 */
export function parseSafetensorsHeader(prefix: Uint8Array, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const headerLength = parseHeaderLength(prefix, fileSize);
  if (headerBytes.byteLength !== headerLength) {
    throw new SafetensorsError("truncated", { reason: `got ${headerBytes.byteLength} header bytes, expected ${headerLength}` });
  }
  const root = parseRoot(headerBytes);

  let metadata: Record<string, string> | undefined;
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(root)) {
    if (name === METADATA_KEY) metadata = parseMetadata(entry);
    else tensors.push(parseEntry(name, entry));
  }
  // begin, then end: zero-size tensors share a begin with the next tensor and must come first.
  tensors.sort((x, y) => x.begin - y.begin || x.end - y.end);

  let expected = 0;
  for (const t of tensors) {
    if (t.begin > expected) throw new SafetensorsError("offsets-gap", { tensor: t.name, reason: `begins at ${t.begin}, expected ${expected}`, extra: { begin: t.begin, expected } });
    if (t.begin < expected) throw new SafetensorsError("offsets-overlap", { tensor: t.name, reason: `begins at ${t.begin}, expected ${expected}`, extra: { begin: t.begin, expected } });
    expected = t.end;
  }

  const dataOffset = PREFIX_LENGTH + headerLength;
  const dataLength = fileSize - dataOffset;
  if (dataLength < expected) {
    const short = tensors.find((t) => t.end > dataLength);
    throw new SafetensorsError("truncated", { tensor: short?.name, reason: `data buffer has ${dataLength} bytes, offsets need ${expected}`, extra: { dataLength, expected } });
  }
  if (dataLength > expected) {
    throw new SafetensorsError("trailing-data", { reason: `${dataLength - expected} bytes after the last tensor`, extra: { dataLength, expected } });
  }

  return { headerLength, dataOffset, metadata, tensors, byName: new Map(tensors.map((t) => [t.name, t])) };
}

function parseRoot(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM keeps a leading BOM in the text; the '{' check below is on the raw bytes anyway.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError("header-utf8");
  }
  if (headerBytes[0] !== 0x7b) throw new SafetensorsError("header-start");
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError("header-json", { reason: error instanceof Error ? error.message : String(error) });
  }
  if (!isPlainObject(root)) throw new SafetensorsError("header-json", { reason: "top level is not an object" });
  const duplicate = findDuplicateTopLevelKey(text);
  if (duplicate !== undefined) throw new SafetensorsError("duplicate-name", { tensor: duplicate });
  return root;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new SafetensorsError("metadata", { reason: "not an object" });
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new SafetensorsError("metadata", { reason: `value of ${JSON.stringify(key)} is not a string`, extra: { key } });
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>; // own data properties only
}

function parseEntry(name: string, entry: unknown): TensorInfo {
  const bad = (reason: string): SafetensorsError => new SafetensorsError("tensor-entry", { tensor: name, reason });
  if (!isPlainObject(entry)) throw bad("not an object");
  const fields = Object.keys(entry).sort();
  if (fields.length !== ENTRY_FIELDS.length || fields.some((f, i) => f !== ENTRY_FIELDS[i])) {
    throw bad(`fields are [${fields.join(", ")}]`);
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== "string") throw bad("dtype is not a string");
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad("shape is not an array of non-negative integers");
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) throw bad("data_offsets is not two non-negative integers");
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`data_offsets [${begin}, ${end}] end before they begin`);
  if (!isDtype(dtype)) throw new SafetensorsError("dtype", { tensor: name, reason: JSON.stringify(dtype), extra: { dtype } });

  let bytes: number = DTYPE_SIZES[dtype];
  for (const dim of shape as number[]) {
    bytes *= dim;
    if (!Number.isSafeInteger(bytes)) throw new SafetensorsError("overflow", { tensor: name, reason: `shape [${shape.join(", ")}] of ${dtype}` });
  }
  if (end - begin !== bytes) {
    throw new SafetensorsError("byte-length", {
      tensor: name,
      reason: `data_offsets span ${end - begin} bytes, shape [${shape.join(", ")}] of ${dtype} needs ${bytes}`,
      extra: { expected: bytes, actual: end - begin },
    });
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end, byteLength: bytes };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

import { NumpyFormatError } from "./errors.js";

/** Where the central directory is, per the end-of-central-directory record (ZIP64 values when present). */
export interface ZipDirectoryLocation {
  readonly entryCount: number;
  readonly offset: number;
  readonly size: number;
  /** Where the central directory must end: the ZIP64 end record if there is one, else the classic one. */
  readonly end: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_MIN_SIZE = 56;

/** Reads a little-endian u64 as a number; values past 2^53 only ever fail the range checks that follow. */
export function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * 0x1_0000_0000 + view.getUint32(offset, true);
}

/**
 * Finds the end record by searching backwards over the at most 65535-byte comment. A candidate
 * counts only if its comment length reaches exactly the end of the data, so a signature that
 * happens to sit inside a comment is not mistaken for the record.
 */
export function locateCentralDirectory(bytes: Uint8Array): ZipDirectoryLocation {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = findEndRecord(view);
  const disk = view.getUint16(at + 4, true);
  const directoryDisk = view.getUint16(at + 6, true);
  const entriesOnDisk = view.getUint16(at + 8, true);
  const classic = {
    entryCount: view.getUint16(at + 10, true),
    size: view.getUint32(at + 12, true),
    offset: view.getUint32(at + 16, true),
  };
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== classic.entryCount) {
    throw new NumpyFormatError("zip-multi-disk", { reason: `disk ${disk}, central directory on disk ${directoryDisk}` });
  }
  const locatorAt = at - ZIP64_LOCATOR_SIZE;
  if (locatorAt < 0 || view.getUint32(locatorAt, true) !== ZIP64_LOCATOR_SIGNATURE) return { ...classic, end: at };
  const zip64 = readZip64EndRecord(view, locatorAt);
  // Fields below their 0xFFFF/0xFFFFFFFF sentinel must agree with the ZIP64 record that supersedes them.
  const sentinels = { entryCount: 0xffff, size: 0xffffffff, offset: 0xffffffff } as const;
  for (const field of ["entryCount", "size", "offset"] as const) {
    if (classic[field] !== sentinels[field] && classic[field] !== zip64[field]) {
      throw new NumpyFormatError("zip64-eocd", { reason: `${field} is ${classic[field]} in the end record but ${zip64[field]} in the ZIP64 record` });
    }
  }
  return zip64;
}

function findEndRecord(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  for (let at = last; at >= 0 && at >= last - MAX_COMMENT; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  throw new NumpyFormatError("zip-eocd", { reason: `searched the last ${Math.min(view.byteLength, EOCD_SIZE + MAX_COMMENT)} bytes` });
}

/** The ZIP64 locator points at the ZIP64 end record, which must end exactly where the locator starts. */
function readZip64EndRecord(view: DataView, locatorAt: number): ZipDirectoryLocation {
  const recordDisk = view.getUint32(locatorAt + 4, true);
  const recordAt = getU64(view, locatorAt + 8);
  const disks = view.getUint32(locatorAt + 16, true);
  if (recordDisk !== 0 || disks > 1) throw new NumpyFormatError("zip-multi-disk", { reason: `ZIP64 locator names ${disks} disks` });
  if (recordAt + ZIP64_EOCD_MIN_SIZE > locatorAt) {
    throw new NumpyFormatError("zip64-eocd", { reason: `the ZIP64 record offset ${recordAt} leaves no room before the locator at ${locatorAt}` });
  }
  if (view.getUint32(recordAt, true) !== ZIP64_EOCD_SIGNATURE) {
    throw new NumpyFormatError("zip64-eocd", { reason: `no ZIP64 end record signature at offset ${recordAt}` });
  }
  // "Size of the ZIP64 end record" counts the bytes after its first 12 (signature + this field).
  const recordEnd = recordAt + 12 + getU64(view, recordAt + 4);
  if (recordEnd !== locatorAt) {
    throw new NumpyFormatError("zip64-eocd", { reason: `the ZIP64 record ends at ${recordEnd}, the locator starts at ${locatorAt}` });
  }
  const disk = view.getUint32(recordAt + 16, true);
  const directoryDisk = view.getUint32(recordAt + 20, true);
  const entriesOnDisk = getU64(view, recordAt + 24);
  const entryCount = getU64(view, recordAt + 32);
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== entryCount) {
    throw new NumpyFormatError("zip-multi-disk", { reason: `ZIP64 record: disk ${disk}, central directory on disk ${directoryDisk}` });
  }
  return { entryCount, size: getU64(view, recordAt + 40), offset: getU64(view, recordAt + 48), end: recordAt };
}

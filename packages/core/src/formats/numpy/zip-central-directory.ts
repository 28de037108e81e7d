import { NumpyFormatError } from "./errors.js";
import type { ZipDirectoryLocation } from "./zip-end-record.js";
import { applyZip64Extra } from "./zip-extra.js";

/** One member as the central directory (the archive's authoritative index) describes it. */
export interface ZipEntry {
  readonly name: string;
  /** The raw name bytes, compared byte for byte with the local header's copy. */
  readonly nameBytes: Uint8Array;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const ENTRY_SIGNATURE = 0x02014b50;
const ENTRY_SIZE = 46;
/** General-purpose flag bit 11: the name is UTF-8 (otherwise CP437, which we accept only when ASCII). */
const FLAG_UTF8 = 0x0800;

/** Parses every entry; the entries must fill the directory's declared size exactly, names unique. */
export function readCentralDirectory(bytes: Uint8Array, location: ZipDirectoryLocation): ZipEntry[] {
  const { offset, size, entryCount, end } = location;
  if (offset + size !== end) {
    throw new NumpyFormatError("zip-central-directory", { reason: `it spans [${offset}, ${offset + size}) but must end at ${end}, where the end record starts` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let pos = offset;
  for (let index = 0; index < entryCount; index++) {
    if (pos + ENTRY_SIZE > end || view.getUint32(pos, true) !== ENTRY_SIGNATURE) {
      throw new NumpyFormatError("zip-central-directory", { reason: `entry ${index} of ${entryCount}: no entry header at offset ${pos}` });
    }
    const nameLength = view.getUint16(pos + 28, true);
    const extraLength = view.getUint16(pos + 30, true);
    const commentLength = view.getUint16(pos + 32, true);
    const next = pos + ENTRY_SIZE + nameLength + extraLength + commentLength;
    if (next > end) throw new NumpyFormatError("zip-central-directory", { reason: `entry ${index} runs past the directory's end` });
    const flags = view.getUint16(pos + 8, true);
    const nameBytes = bytes.subarray(pos + ENTRY_SIZE, pos + ENTRY_SIZE + nameLength);
    const name = decodeName(nameBytes, (flags & FLAG_UTF8) !== 0, index);
    const extra = bytes.subarray(pos + ENTRY_SIZE + nameLength, pos + ENTRY_SIZE + nameLength + extraLength);
    const sizes = applyZip64Extra(
      {
        compressedSize: view.getUint32(pos + 20, true),
        uncompressedSize: view.getUint32(pos + 24, true),
        diskStart: view.getUint16(pos + 34, true),
        localHeaderOffset: view.getUint32(pos + 42, true),
      },
      extra,
      `central directory entry ${JSON.stringify(name)}`,
    );
    if (sizes.diskStart !== 0) throw new NumpyFormatError("zip-multi-disk", { member: name, reason: `starts on disk ${sizes.diskStart}` });
    if (names.has(name)) throw new NumpyFormatError("zip-duplicate-member", { member: name });
    names.add(name);
    entries.push({
      name,
      nameBytes,
      flags,
      method: view.getUint16(pos + 10, true),
      crc32: view.getUint32(pos + 16, true),
      compressedSize: sizes.compressedSize,
      uncompressedSize: sizes.uncompressedSize,
      localHeaderOffset: sizes.localHeaderOffset ?? 0,
    });
    pos = next;
  }
  if (pos !== end) throw new NumpyFormatError("zip-central-directory", { reason: `${end - pos} bytes after the last of ${entryCount} entries` });
  return entries;
}

function decodeName(bytes: Uint8Array, utf8: boolean, index: number): string {
  // ASCII reads the same in CP437 and UTF-8, so one decoder serves both.
  if (!utf8 && bytes.some((b) => b >= 0x80)) {
    throw new NumpyFormatError("zip-name", { reason: `entry ${index}: non-ASCII name without the UTF-8 flag` });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new NumpyFormatError("zip-name", { reason: `entry ${index}: the name is flagged UTF-8 but is not` });
  }
}

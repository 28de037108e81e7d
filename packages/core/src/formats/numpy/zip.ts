import { crc32 } from "./crc32.js";
import { NumpyFormatError } from "./errors.js";
import { inflateRaw } from "./inflate.js";
import { readCentralDirectory, type ZipEntry } from "./zip-central-directory.js";
import { locateCentralDirectory } from "./zip-end-record.js";
import { applyZip64Extra } from "./zip-extra.js";

/** A ZIP archive in memory, indexed by its central directory; members are checked when read. */
export interface ZipArchive {
  /** Member names in central-directory order. */
  names(): string[];
  has(name: string): boolean;
  /** The member's uncompressed bytes, CRC-32 verified (a stored member may share the archive's buffer). */
  read(name: string): Promise<Uint8Array>;
}

export interface ReadZipOptions {
  /** Largest uncompressed member `read` will produce, in bytes (default 1 GiB). */
  readonly maxMemberSize?: number;
}

export const DEFAULT_MAX_MEMBER_SIZE = 1 << 30;

const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_SIZE = 30;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008; // sizes and CRC follow the data; the local header has zeros
const FLAG_STRONG_ENCRYPTION = 0x0040;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

/**
 * Parses the end record and central directory now (so a malformed archive fails at once);
 * local headers and data are checked per member in `read`.
 */
export function readZip(bytes: Uint8Array, options: ReadZipOptions = {}): ZipArchive {
  const location = locateCentralDirectory(bytes);
  const entries = new Map(readCentralDirectory(bytes, location).map((entry) => [entry.name, entry]));
  const maxMemberSize = options.maxMemberSize ?? DEFAULT_MAX_MEMBER_SIZE;
  return {
    names: () => [...entries.keys()],
    has: (name) => entries.has(name),
    async read(name) {
      const entry = entries.get(name);
      if (entry === undefined) {
        throw new NumpyFormatError("zip-member-missing", { member: name, reason: `members: ${[...entries.keys()].map((n) => JSON.stringify(n)).join(", ") || "none"}` });
      }
      return readMember(bytes, entry, location.offset, maxMemberSize);
    },
  };
}

async function readMember(bytes: Uint8Array, entry: ZipEntry, directoryOffset: number, maxMemberSize: number): Promise<Uint8Array> {
  const member = entry.name;
  if ((entry.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) throw new NumpyFormatError("zip-encrypted", { member });
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE) {
    throw new NumpyFormatError("zip-compression", { member, reason: `method ${entry.method}`, extra: { method: entry.method } });
  }
  if (entry.uncompressedSize > maxMemberSize) {
    throw new NumpyFormatError("zip-member-too-large", { member, reason: `${entry.uncompressedSize} bytes, limit ${maxMemberSize}` });
  }
  if (entry.method === METHOD_STORED && entry.compressedSize !== entry.uncompressedSize) {
    throw new NumpyFormatError("zip-size", { member, reason: `a stored member's compressed size ${entry.compressedSize} differs from its size ${entry.uncompressedSize}` });
  }
  const dataStart = checkLocalHeader(bytes, entry, directoryOffset);
  // Member data lives before the central directory; running into it means the sizes are wrong.
  if (dataStart + entry.compressedSize > directoryOffset) {
    throw new NumpyFormatError("zip-member-range", { member, reason: `${entry.compressedSize} bytes from offset ${dataStart} pass the central directory at ${directoryOffset}` });
  }
  const stored = bytes.subarray(dataStart, dataStart + entry.compressedSize);
  let data: Uint8Array;
  try {
    data = entry.method === METHOD_STORED ? stored : await inflateRaw(stored, entry.uncompressedSize);
  } catch (error) {
    throw error instanceof NumpyFormatError ? error.inMember(member) : error;
  }
  if (data.byteLength !== entry.uncompressedSize) {
    throw new NumpyFormatError("zip-size", { member, reason: `inflated to ${data.byteLength} bytes, the central directory says ${entry.uncompressedSize}` });
  }
  const actual = crc32(data);
  if (actual !== entry.crc32) {
    throw new NumpyFormatError("zip-crc", { member, reason: `computed ${hex(actual)}, recorded ${hex(entry.crc32)}`, extra: { expected: entry.crc32, actual } });
  }
  return data;
}

/**
 * Validates the local header against the central directory and returns where the data starts.
 * With a data descriptor (flag bit 3) the local CRC and sizes are placeholders, so only the
 * central directory's are used; otherwise they must agree (after ZIP64 resolution).
 */
function checkLocalHeader(bytes: Uint8Array, entry: ZipEntry, directoryOffset: number): number {
  const member = entry.name;
  const at = entry.localHeaderOffset;
  const fail = (reason: string): never => {
    throw new NumpyFormatError("zip-local-header", { member, reason });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (at + LOCAL_SIZE > directoryOffset || view.getUint32(at, true) !== LOCAL_SIGNATURE) fail(`no local header at offset ${at}`);
  const flags = view.getUint16(at + 6, true);
  if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) throw new NumpyFormatError("zip-encrypted", { member, reason: "flagged in the local header" });
  const method = view.getUint16(at + 8, true);
  if (method !== entry.method) fail(`compression method ${method}, central directory says ${entry.method}`);
  const nameLength = view.getUint16(at + 26, true);
  const extraLength = view.getUint16(at + 28, true);
  const dataStart = at + LOCAL_SIZE + nameLength + extraLength;
  if (dataStart > directoryOffset) fail("the name and extra field run into the central directory");
  const name = bytes.subarray(at + LOCAL_SIZE, at + LOCAL_SIZE + nameLength);
  if (name.byteLength !== entry.nameBytes.byteLength || name.some((b, i) => b !== entry.nameBytes[i])) {
    fail(`the local name ${JSON.stringify(new TextDecoder().decode(name))} differs from the central directory's`);
  }
  const extra = bytes.subarray(at + LOCAL_SIZE + nameLength, dataStart);
  const sizes = applyZip64Extra({ compressedSize: view.getUint32(at + 18, true), uncompressedSize: view.getUint32(at + 22, true) }, extra, `local header of ${JSON.stringify(member)}`);
  if ((flags & FLAG_DATA_DESCRIPTOR) === 0) {
    const crc = view.getUint32(at + 14, true);
    if (crc !== entry.crc32) fail(`CRC-32 ${hex(crc)}, central directory says ${hex(entry.crc32)}`);
    if (sizes.compressedSize !== entry.compressedSize || sizes.uncompressedSize !== entry.uncompressedSize) {
      fail(`sizes ${sizes.compressedSize}/${sizes.uncompressedSize}, central directory says ${entry.compressedSize}/${entry.uncompressedSize} (compressed/uncompressed)`);
    }
  }
  return dataStart;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

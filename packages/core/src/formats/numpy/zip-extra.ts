import { NumpyFormatError } from "./errors.js";
import { getU64 } from "./zip-end-record.js";

const ZIP64_EXTRA_ID = 0x0001;

/** Header fields that may be deferred to the ZIP64 extra field by holding their all-ones sentinel. */
export interface Zip64Fields {
  uncompressedSize: number;
  compressedSize: number;
  localHeaderOffset?: number;
  diskStart?: number;
}

/**
 * Replaces sentinel (0xFFFFFFFF / 0xFFFF) fields with the values in the ZIP64 extra field (id 0x0001),
 * which holds them in this fixed order, each only if its header field is the sentinel:
 * uncompressed size, compressed size, local header offset (u64 each), disk start (u32).
 * The extra field must be a clean sequence of (id, length, data) blocks.
 */
export function applyZip64Extra(fields: Readonly<Zip64Fields>, extra: Uint8Array, where: string): Zip64Fields {
  const zip64 = findBlock(extra, ZIP64_EXTRA_ID, where);
  const resolved: Zip64Fields = { ...fields };
  const deferred = (["uncompressedSize", "compressedSize", "localHeaderOffset"] as const).filter((k) => fields[k] === 0xffffffff);
  const needsDisk = fields.diskStart === 0xffff;
  if (deferred.length === 0 && !needsDisk) return resolved;
  const needed = deferred.length * 8 + (needsDisk ? 4 : 0);
  if (zip64 === undefined || zip64.byteLength < needed) {
    const wanted = [...deferred, ...(needsDisk ? ["diskStart"] : [])].join(", ");
    throw new NumpyFormatError("zip-extra-field", { reason: `${where}: ${wanted} deferred to a ZIP64 extra field ${zip64 === undefined ? "that is absent" : `of only ${zip64.byteLength} bytes`}` });
  }
  const view = new DataView(zip64.buffer, zip64.byteOffset, zip64.byteLength);
  deferred.forEach((key, i) => {
    resolved[key] = getU64(view, i * 8);
  });
  if (needsDisk) resolved.diskStart = view.getUint32(deferred.length * 8, true);
  return resolved;
}

/** The data of the first block with `id`; a block running past the field's end is malformed. */
function findBlock(extra: Uint8Array, id: number, where: string): Uint8Array | undefined {
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  let found: Uint8Array | undefined;
  let pos = 0;
  while (pos < extra.byteLength) {
    if (pos + 4 > extra.byteLength) throw new NumpyFormatError("zip-extra-field", { reason: `${where}: ${extra.byteLength - pos} stray bytes at the end of the extra field` });
    const blockId = view.getUint16(pos, true);
    const length = view.getUint16(pos + 2, true);
    if (pos + 4 + length > extra.byteLength) {
      throw new NumpyFormatError("zip-extra-field", { reason: `${where}: block 0x${blockId.toString(16).padStart(4, "0")} of ${length} bytes runs past the extra field` });
    }
    if (blockId === id && found === undefined) found = extra.subarray(pos + 4, pos + 4 + length);
    pos += 4 + length;
  }
  return found;
}

import type { ByteRange } from "./blob-store.js";

/** A byte range that is malformed or reaches past the end of the object. */
export class BlobRangeError extends Error {
  constructor(
    readonly key: string,
    readonly range: ByteRange,
    readonly size?: number,
  ) {
    const where = size === undefined ? "" : ` of a ${size}-byte object`;
    super(`byte range offset ${range.offset}, length ${range.length} is not within object ${key}${where}`);
    this.name = "BlobRangeError";
  }
}

/** Offsets and lengths are non-negative safe integers; anything else is a caller's bug. */
export function checkRange(key: string, range: ByteRange): void {
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new BlobRangeError(key, range);
  }
}

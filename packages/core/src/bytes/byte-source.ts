/**
 * Random access to bytes whose total size is known: a file, an S3 object (range GET), or memory.
 * Parsers take a ByteSource instead of a path or a client so they run anywhere.
 */
export interface ByteSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; rejects if the range is outside [0, size). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bytes.byteLength) {
        return Promise.reject(new RangeError(`range [${offset}, ${offset + length}) is outside 0..${bytes.byteLength}`));
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}

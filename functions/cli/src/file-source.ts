import { open, type FileHandle } from "node:fs/promises";
import type { ByteSource } from "@semla/core";

/** A ByteSource over a local file: reads only the ranges asked for (header, then one tensor at a time). */
export async function openFileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const handle: FileHandle = await open(path, "r");
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`range [${offset}, ${offset + length}) is outside ${path} (${size} bytes)`);
      }
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
        if (bytesRead === 0) throw new RangeError(`${path} ended at ${offset + done} while reading ${length} bytes at ${offset}`);
        done += bytesRead;
      }
      return bytes;
    },
    close: () => handle.close(),
  };
}

import { NumpyFormatError } from "./errors.js";

/**
 * Inflates a raw deflate stream with the web-standard DecompressionStream (Node 18+, browsers), so
 * core needs no zlib binding. Stops as soon as the output passes `expectedLength`: a member's
 * declared size bounds the memory a deflate bomb can take.
 */
export async function inflateRaw(data: Uint8Array, expectedLength: number): Promise<Uint8Array> {
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(data);
      controller.close();
    },
  });
  const reader = input.pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new NumpyFormatError("zip-inflate", { reason: error instanceof Error ? error.message : String(error) });
    }
    if (chunk.done) break;
    const value = chunk.value;
    if (!(value instanceof Uint8Array)) throw new NumpyFormatError("zip-inflate", { reason: "the decompressor produced a non-byte chunk" });
    total += value.byteLength;
    if (total > expectedLength) {
      await reader.cancel().catch(() => undefined);
      throw new NumpyFormatError("zip-size", { reason: `inflates to more than the declared ${expectedLength} bytes`, extra: { expected: expectedLength } });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

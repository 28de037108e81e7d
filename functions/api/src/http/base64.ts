import { z } from "@hono/zod-openapi";

/** RFC 4648 §4 (standard alphabet), padded, no whitespace: what z.base64() accepts. */
const PADDED_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes of standard padded base64, or undefined when `text` is not that. Accepts exactly what
 * z.base64() accepts (no whitespace, no url-safe alphabet, length a multiple of 4, `=` only as the
 * last one or two characters; unused trailing bits are ignored, as atob does), in one decode for
 * the input every encoder writes: z.base64() scans for whitespace, runs atob over the whole string
 * and the route then decoded it again, about 1 ms for a 300 KB image.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  // Buffer skips characters outside the alphabet and reads url-safe ones: what it decoded is the
  // input only if it encodes back to it. Only canonical base64 does, so the rare rest (unused
  // trailing bits set) is checked by its characters instead.
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text && (text.length % 4 !== 0 || !PADDED_BASE64.test(text))) return undefined;
  // Small results are views into Buffer's shared pool: copied, so the bytes own their buffer.
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return owned ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
}

/** A base64 string in a JSON body, validated and decoded once: the handler receives its bytes. */
export function base64Bytes() {
  return z
    .string()
    .transform((text, ctx) => {
      const bytes = decodeBase64(text);
      if (bytes === undefined) {
        ctx.issues.push({ code: "invalid_format", format: "base64", input: text });
        return z.NEVER;
      }
      return bytes;
    })
    .openapi({ type: "string", format: "byte" });
}

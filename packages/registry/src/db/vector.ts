import { type SQL, sql } from "drizzle-orm";
import { customType } from "drizzle-orm/pg-core";

/**
 * pgvector's text form, `[1,2.5,-3]`. Float32 components printed as Float64 decimals parse back to
 * the same float32 (pgvector reads them with strtof), so a round trip is exact.
 */
export function toVectorLiteral(v: ArrayLike<number>): string {
  return `[${Array.from(v, (x) => String(x)).join(",")}]`;
}

export function parseVectorLiteral(text: string): Float32Array {
  const trimmed = text.trim();
  if (!trimmed.startsWith("[") || !trimmed.endsWith("]")) {
    throw new Error(`not a pgvector literal: ${JSON.stringify(text.slice(0, 40))}`);
  }
  const body = trimmed.slice(1, -1).trim();
  if (body === "") return new Float32Array(0);
  return Float32Array.from(body.split(","), Number);
}

/**
 * pgvector's binary form (vector_send): dimension and an unused word as big-endian uint16, then the
 * components as big-endian float32. Smaller and cheaper to produce than the text form (no decimal
 * printing), so searches read centroids this way. Drivers answer bytea as bytes (node-postgres'
 * Buffer, PGlite's and the Data API's Uint8Array); text in PostgreSQL's hex form is read too.
 */
export function parseVectorBinary(value: Uint8Array | string): Float32Array {
  const bytes = typeof value === "string" && value.startsWith("\\x") ? Uint8Array.from(Buffer.from(value.slice(2), "hex")) : value;
  if (typeof bytes === "string") throw new Error(`not a pgvector binary value: ${JSON.stringify(bytes.slice(0, 40))}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dimension = bytes.byteLength >= 4 ? view.getUint16(0) : -1;
  if (bytes.byteLength !== 4 + 4 * dimension) {
    throw new Error(`not a pgvector binary value: ${bytes.byteLength} bytes for dimension ${dimension}`);
  }
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = view.getFloat32(4 + 4 * i);
  return out;
}

/**
 * A `vector` column without a fixed dimension: libraries use different embedding models (512-d
 * ViT-B CLIP, 768-d ViT-L/14), so the dimension is checked per library instead of by the type.
 * Written as `$n::vector`: the Data API binds a string parameter as varchar (only uuid, json,
 * timestamp, date, time and decimal have type hints), which PostgreSQL does not assign to a vector
 * column; node-postgres and PGlite send it untyped, and the cast is a no-op for them. Read back, every
 * driver answers pgvector's text form (the Data API as a stringValue), parsed here.
 */
export const vector = customType<{ data: Float32Array; driverData: string }>({
  dataType: () => "vector",
  toDriver: (value): SQL => sql`${toVectorLiteral(value)}::vector`,
  fromDriver: parseVectorLiteral,
});

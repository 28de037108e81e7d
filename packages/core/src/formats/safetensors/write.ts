import { DTYPE_SIZES, isWritableDtype, type WritableDtype, writeFloat32 } from "./dtype.js";
import { SafetensorsError } from "./errors.js";
import { MAX_HEADER_LENGTH, PREFIX_LENGTH } from "./header.js";

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** Default F32. F16 and BF16 round to nearest, ties to even. */
  readonly dtype?: WritableDtype;
}

/** The header is padded so the data buffer starts at a multiple of this: F32 views stay aligned. */
const DATA_ALIGNMENT = 8;
const SPACE = 0x20;

/**
 * Serialises tensors, in the order given, to a safetensors file that passes this folder's reader
 * validation (and the reference implementation's). Non-finite values are written as they are.
 */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const entries: string[] = [];
  if (metadata !== undefined) entries.push(`"__metadata__":${metadataJson(metadata)}`);

  const names = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? "F32";
    checkTensor(t, dtype, names);
    const byteLength = t.data.length * DTYPE_SIZES[dtype];
    // Built by hand, not via an object, so integer-like names keep the given order.
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype, shape: t.shape, data_offsets: [offset, offset + byteLength] })}`);
    offset += byteLength;
  }

  const json = new TextEncoder().encode(`{${entries.join(",")}}`);
  const headerLength = Math.ceil(json.byteLength / DATA_ALIGNMENT) * DATA_ALIGNMENT; // PREFIX_LENGTH is itself a multiple of 8
  if (headerLength > MAX_HEADER_LENGTH) throw new SafetensorsError("header-too-large", { reason: `header would be ${headerLength} bytes` });

  const dataOffset = PREFIX_LENGTH + headerLength;
  const out = new Uint8Array(dataOffset + offset);
  new DataView(out.buffer).setUint32(0, headerLength, true); // high word stays 0: N <= MAX_HEADER_LENGTH
  out.set(json, PREFIX_LENGTH);
  out.fill(SPACE, PREFIX_LENGTH + json.byteLength, dataOffset);

  let at = dataOffset;
  for (const t of tensors) {
    const dtype = t.dtype ?? "F32";
    writeFloat32(dtype, t.data, out, at);
    at += t.data.length * DTYPE_SIZES[dtype];
  }
  return out;
}

function checkTensor(t: TensorToWrite, dtype: string, names: Set<string>): asserts dtype is WritableDtype {
  if (t.name === "__metadata__") throw new SafetensorsError("reserved-name", { tensor: t.name });
  if (names.has(t.name)) throw new SafetensorsError("duplicate-name", { tensor: t.name });
  names.add(t.name);
  if (!isWritableDtype(dtype)) throw new SafetensorsError("dtype-unsupported", { tensor: t.name, reason: `cannot write dtype ${dtype}`, extra: { dtype } });
  let count = 1;
  for (const dim of t.shape) {
    if (!Number.isSafeInteger(dim) || dim < 0)
      throw new SafetensorsError("tensor-entry", { tensor: t.name, reason: `shape [${t.shape.join(", ")}] has a dimension that is not a non-negative integer` });
    count *= dim;
    if (!Number.isSafeInteger(count)) throw new SafetensorsError("overflow", { tensor: t.name, reason: `shape [${t.shape.join(", ")}]` });
  }
  if (count !== t.data.length) {
    throw new SafetensorsError("shape-mismatch", {
      tensor: t.name,
      reason: `shape [${t.shape.join(", ")}] holds ${count} elements, data has ${t.data.length}`,
      extra: { expected: count, actual: t.data.length },
    });
  }
}

function metadataJson(metadata: Record<string, string>): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") throw new SafetensorsError("metadata", { reason: `value of ${JSON.stringify(key)} is not a string`, extra: { key } });
    pairs.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${pairs.join(",")}}`;
}

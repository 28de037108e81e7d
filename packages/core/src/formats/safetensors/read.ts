import type { ByteSource } from "../../bytes/byte-source.js";
import { isFloatDtype, toFloat32 } from "./dtype.js";
import { SafetensorsError } from "./errors.js";
import { PREFIX_LENGTH, parseHeaderLength, parseSafetensorsHeader, type SafetensorsHeader } from "./header.js";

export interface ReadTensorOptions {
  /** Reject NaN and ±inf values (rule 'non-finite'). Default true: a bad weight poisons every fusion. */
  readonly finite?: boolean;
}

/** Reads and validates the header with two range reads (8 bytes, then N bytes); no tensor data is read. */
export async function readSafetensorsHeader(source: ByteSource): Promise<SafetensorsHeader> {
  if (source.size < PREFIX_LENGTH) throw new SafetensorsError("truncated", { reason: `${source.size} bytes, fewer than the 8-byte header length` });
  const prefix = await source.read(0, PREFIX_LENGTH);
  const headerLength = parseHeaderLength(prefix, source.size);
  const headerBytes = await source.read(PREFIX_LENGTH, headerLength);
  return parseSafetensorsHeader(prefix, headerBytes, source.size);
}

/**
 * Reads one tensor as Float32 with a single range read of exactly its bytes, so it is cheap over
 * S3 range requests. An aligned F32 tensor from an in-memory source may be a view that aliases
 * the source's bytes: copy it before mutating if the source must stay intact.
 */
export async function readTensor(source: ByteSource, header: SafetensorsHeader, name: string, options: ReadTensorOptions = {}): Promise<Float32Array> {
  const info = header.byName.get(name);
  if (info === undefined) throw new SafetensorsError("missing-tensor", { tensor: name });
  if (!isFloatDtype(info.dtype)) throw new SafetensorsError("dtype-unsupported", { tensor: name, reason: `dtype ${info.dtype}`, extra: { dtype: info.dtype } });
  // Zero bytes need no read (and an empty HTTP range cannot be expressed).
  if (info.byteLength === 0) return new Float32Array(0);

  const bytes = await source.read(header.dataOffset + info.begin, info.byteLength);
  if (bytes.byteLength !== info.byteLength) {
    throw new SafetensorsError("truncated", { tensor: name, reason: `read ${bytes.byteLength} bytes, expected ${info.byteLength}` });
  }
  const values = toFloat32(info.dtype, bytes);
  if (options.finite ?? true) {
    const index = firstNonFinite(values);
    if (index !== -1) {
      throw new SafetensorsError("non-finite", { tensor: name, reason: `value ${values[index]} at flat index ${index}`, extra: { index } });
    }
  }
  return values;
}

export interface SafetensorsContents {
  readonly header: SafetensorsHeader;
  /** Every tensor as Float32, in data-buffer order. */
  readonly tensors: ReadonlyMap<string, Float32Array>;
}

/** Reads the header and every tensor; fails on the first tensor that is not a float dtype. */
export async function readSafetensors(source: ByteSource, options: ReadTensorOptions = {}): Promise<SafetensorsContents> {
  const header = await readSafetensorsHeader(source);
  const tensors = new Map<string, Float32Array>();
  for (const info of header.tensors) tensors.set(info.name, await readTensor(source, header, info.name, options));
  return { header, tensors };
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // x - x is 0 for finite x and NaN for NaN and ±inf: one comparison per element.
    const x = values[i]!;
    if (x - x !== 0) return i;
  }
  return -1;
}

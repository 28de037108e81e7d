import { type NpyFloatDescr, parseDescr } from "./dtype.js";
import { NumpyFormatError } from "./errors.js";
import { type PyLiteral, parsePyLiteral } from "./py-literal.js";

/** "\x93NUMPY": the six bytes every .npy file starts with. */
export const NPY_MAGIC: readonly number[] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** numpy's own default `max_header_size`: longer headers are refused before parsing them. */
export const MAX_HEADER_LENGTH = 10_000;

export interface NpyHeader {
  readonly version: "1.0" | "2.0" | "3.0";
  readonly descr: NpyFloatDescr;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Where the array data starts: preamble + header length. */
  readonly dataOffset: number;
}

export function hasNpyMagic(bytes: Uint8Array): boolean {
  return bytes.byteLength >= NPY_MAGIC.length && NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/** Parses the preamble (magic, version, header length) and the header dict of a .npy file. */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (!hasNpyMagic(bytes)) throw new NumpyFormatError("magic");
  if (bytes.byteLength < 8) throw new NumpyFormatError("truncated", { reason: "no version bytes" });
  const version = `${bytes[6]!}.${bytes[7]!}`;
  if (version !== "1.0" && version !== "2.0" && version !== "3.0") {
    throw new NumpyFormatError("version", { reason: `version ${version}`, extra: { version } });
  }
  // Version 1.0 has a u16 header length; 2.0 and 3.0 widened it to u32.
  const lengthSize = version === "1.0" ? 2 : 4;
  const headerStart = 8 + lengthSize;
  if (bytes.byteLength < headerStart) throw new NumpyFormatError("truncated", { reason: "no header length" });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = lengthSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_LENGTH) {
    throw new NumpyFormatError("header-too-large", { reason: `${headerLength} bytes`, extra: { headerLength } });
  }
  const dataOffset = headerStart + headerLength;
  if (bytes.byteLength < dataOffset) {
    throw new NumpyFormatError("truncated", { reason: `the header needs ${headerLength} bytes, ${bytes.byteLength - headerStart} present` });
  }
  const text = decodeHeader(bytes.subarray(headerStart, dataOffset), version === "3.0");
  if (!text.endsWith("\n")) throw new NumpyFormatError("header-syntax", { reason: "the header does not end with a newline" });
  return { version, ...headerFields(parsePyLiteral(text)), dataOffset };
}

/** Versions 1.0/2.0 are latin-1 (every byte is a code point); 3.0 is UTF-8. */
function decodeHeader(bytes: Uint8Array, utf8: boolean): string {
  if (!utf8) return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new NumpyFormatError("header-encoding", { reason: "invalid UTF-8 in a version 3.0 header" });
  }
}

const EXPECTED_KEYS = ["descr", "fortran_order", "shape"] as const;

/** Checks the dict the way numpy's _read_array_header does: exactly three keys, each of its type. */
function headerFields(literal: PyLiteral): Pick<NpyHeader, "descr" | "fortranOrder" | "shape"> {
  if (literal.kind !== "dict") throw new NumpyFormatError("header-syntax", { reason: `the header is ${a(literal.kind)}, not a dict` });
  const keys = [...literal.entries.keys()];
  const unexpected = keys.filter((k) => !(EXPECTED_KEYS as readonly string[]).includes(k));
  const missing = EXPECTED_KEYS.filter((k) => !literal.entries.has(k));
  if (unexpected.length > 0 || missing.length > 0) {
    const parts = [...(missing.length > 0 ? [`missing ${missing.join(", ")}`] : []), ...(unexpected.length > 0 ? [`unexpected ${unexpected.join(", ")}`] : [])];
    throw new NumpyFormatError("header-keys", { reason: parts.join("; "), extra: { missing, unexpected } });
  }
  const descr = literal.entries.get("descr")!;
  const fortranOrder = literal.entries.get("fortran_order")!;
  const shape = literal.entries.get("shape")!;
  // Structured dtypes have a list descr: a valid header, but not an array of floats.
  if (descr.kind !== "str") throw new NumpyFormatError("descr", { reason: `descr is ${a(descr.kind)} (structured dtype?)` });
  if (fortranOrder.kind !== "bool") throw new NumpyFormatError("fortran-order", { reason: `got ${a(fortranOrder.kind)}` });
  if (shape.kind !== "tuple") throw new NumpyFormatError("shape", { reason: `got ${a(shape.kind)}` });
  const dims = shape.items.map((item, axis) => {
    if (item.kind !== "int" || item.value < 0) {
      throw new NumpyFormatError("shape", { reason: `axis ${axis} is ${item.kind === "int" ? item.value : a(item.kind)}` });
    }
    return item.value === 0 ? 0 : item.value; // (-0,) parses, as in Python, and means 0
  });
  return { descr: parseDescr(descr.value), fortranOrder: fortranOrder.value, shape: dims };
}

/** "an int", "a tuple": the literal's kind with its article, for messages. */
function a(kind: PyLiteral["kind"]): string {
  return kind === "int" ? "an int" : `a ${kind}`;
}

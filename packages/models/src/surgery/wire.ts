/**
 * Protocol-buffer messages at the wire level: a message's top-level fields as byte ranges of the
 * original bytes, and new fields encoded around them. Graph surgery copies every field it does not
 * change byte for byte — attributes, value infos, metadata and message types our onnx.proto subset
 * does not know survive untouched, and initializers (up to 2 GB of weights) are never decoded or
 * copied into new buffers. protobufjs decodes and re-encodes only whole known messages, so this is
 * written here (a varint and three wire types).
 */

export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** The whole field: tag, length prefix and value. */
  readonly start: number;
  readonly end: number;
  /** The value: a length-delimited field's payload, or a varint's / fixed value's bytes. */
  readonly valueStart: number;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new RangeError(`a protobuf varint at byte ${at} does not end`);
}

/** The top-level fields of a message, in order. */
export function wireFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const tag = readVarint(bytes, at);
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    at = tag.next;
    let valueStart = at;
    switch (wireType) {
      case 0:
        at = readVarint(bytes, at).next;
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = readVarint(bytes, at);
        valueStart = length.next;
        at = length.next + length.value;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new RangeError(`unsupported protobuf wire type ${wireType} at byte ${start}`);
    }
    if (at > bytes.length) throw new RangeError(`a protobuf field at byte ${start} runs past the end of the message`);
    fields.push({ field, wireType, start, end: at, valueStart });
  }
  return fields;
}

export const payload = (bytes: Uint8Array, f: WireField) => bytes.subarray(f.valueStart, f.end);

export const varintValue = (bytes: Uint8Array, f: WireField) => readVarint(bytes, f.valueStart).value;

export const stringValue = (bytes: Uint8Array, f: WireField) => new TextDecoder().decode(payload(bytes, f));

/** Packed or unpacked repeated varints (int64 dims, ints attributes). */
export function varintList(bytes: Uint8Array, fields: readonly WireField[], field: number): number[] {
  const values: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wireType === 0) values.push(varintValue(bytes, f));
    else {
      for (let at = f.valueStart; at < f.end; ) {
        const v = readVarint(bytes, at);
        values.push(v.value);
        at = v.next;
      }
    }
  }
  return values;
}

function varintBytes(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** A length-delimited field's tag and length prefix, for a payload of `length` bytes. */
export function lengthDelimitedHeader(field: number, length: number): Uint8Array {
  const tag = varintBytes(field * 8 + 2);
  const size = varintBytes(length);
  const header = new Uint8Array(tag.length + size.length);
  header.set(tag);
  header.set(size, tag.length);
  return header;
}

/** A message assembled from parts (views into other messages and new encodings), never concatenated before it is written. */
export interface Parts {
  readonly parts: Uint8Array[];
  byteLength: number;
}

export function parts(): Parts {
  return { parts: [], byteLength: 0 };
}

export function push(target: Parts, ...chunks: Uint8Array[]): void {
  for (const chunk of chunks) {
    target.parts.push(chunk);
    target.byteLength += chunk.byteLength;
  }
}

/** Appends `message` as a length-delimited field of `target`. */
export function pushField(target: Parts, field: number, message: Parts | Uint8Array): void {
  if (message instanceof Uint8Array) {
    push(target, lengthDelimitedHeader(field, message.byteLength), message);
    return;
  }
  push(target, lengthDelimitedHeader(field, message.byteLength), ...message.parts);
}

export function concat(message: Parts): Uint8Array {
  const out = new Uint8Array(message.byteLength);
  let at = 0;
  for (const part of message.parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * TEST-ONLY: assembles ZIP archives byte by byte for the reader's tests, including the exact
 * layouts Python's zipfile produces for numpy (force_zip64 local headers) and deliberately
 * malformed ones. Exported through @semla/core/testing, never from index.ts. Compression is the caller's (tests use Node's zlib),
 * keeping this file free of runtime-specific imports like the rest of core.
 */
import { crc32 } from "../formats/numpy/crc32.js";

export interface FixtureMember {
  readonly name: string;
  /** The member's uncompressed content. */
  readonly data: Uint8Array;
  /** Compression method; with 8, `payload` must hold the raw deflate stream. */
  readonly method?: number;
  /** The bytes actually stored (default: `data`). */
  readonly payload?: Uint8Array;
  /** Python's force_zip64=True local header: sizes 0xFFFFFFFF, extra 0x0001 with both sizes (u64). */
  readonly zip64Local?: boolean;
  /** Central entry with sizes 0xFFFFFFFF and an 0x0001 extra holding them (what > 4 GiB members get). */
  readonly zip64Central?: boolean;
  /** Central entry with offset 0xFFFFFFFF, the offset in the 0x0001 extra after any sizes. */
  readonly zip64Offset?: boolean;
  /** General-purpose flags for both headers (bit 11: UTF-8 name, set automatically for non-ASCII names). */
  readonly flags?: number;
  /** Overrides for the local header only, to make it disagree with the central directory. */
  readonly localFlags?: number;
  readonly localName?: string;
  readonly localMethod?: number;
  readonly localCrc?: number;
  /** Bit 3: local CRC and sizes zeroed, a data descriptor (with signature) after the data. */
  readonly dataDescriptor?: boolean;
  /** Overrides for the central entry. */
  readonly crc?: number;
  readonly centralCompressedSize?: number;
  readonly centralUncompressedSize?: number;
  readonly centralExtra?: Uint8Array;
  readonly localExtra?: Uint8Array;
  /** Raw name bytes for both headers (for encoding tests). */
  readonly nameBytes?: Uint8Array;
}

export interface FixtureOptions {
  /** Write a ZIP64 end record + locator; "sentinels" puts 0xFFFF/0xFFFFFFFF in the classic record. */
  readonly zip64End?: "values" | "sentinels";
  readonly comment?: Uint8Array;
  /** Overrides the classic end record's entry counts. */
  readonly entryCount?: number;
}

export interface ZipFixture {
  readonly bytes: Uint8Array;
  readonly localOffsets: readonly number[];
  readonly centralOffset: number;
  readonly centralEntryOffsets: readonly number[];
  readonly zip64EndOffset: number | undefined;
  readonly locatorOffset: number | undefined;
  readonly endOffset: number;
}

class Writer {
  private readonly parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  u8(...values: number[]): this {
    this.parts.push(...values);
    return this;
  }
  bytes(values: Uint8Array): this {
    for (const v of values) this.parts.push(v);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, (v >>> 8) & 0xff);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 0x10000) & 0xffff);
  }
  u64(v: number): this {
    return this.u32(v % 0x1_0000_0000).u32(Math.floor(v / 0x1_0000_0000));
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const encoder = new TextEncoder();

/** A ZIP64 extra field (id 0x0001) holding the given u64 values. */
export function zip64Extra(...values: number[]): Uint8Array {
  const w = new Writer().u16(0x0001).u16(values.length * 8);
  for (const v of values) w.u64(v);
  return w.done();
}

export function buildZip(members: readonly FixtureMember[], options: FixtureOptions = {}): ZipFixture {
  const w = new Writer();
  const localOffsets: number[] = [];
  for (const m of members) {
    localOffsets.push(w.length);
    const payload = m.payload ?? m.data;
    const name = m.nameBytes ?? encoder.encode(m.name);
    const localName = m.localName === undefined ? name : encoder.encode(m.localName);
    const crc = crc32(m.data);
    const flags = flagsOf(m);
    const localFlags = m.localFlags ?? flags;
    const zeroed = m.dataDescriptor === true;
    const localExtra = m.localExtra ?? (m.zip64Local === true ? zip64Extra(zeroed ? 0 : m.data.length, zeroed ? 0 : payload.length) : new Uint8Array());
    w.u32(0x04034b50)
      .u16(m.zip64Local === true ? 45 : 20)
      .u16(localFlags)
      .u16(m.localMethod ?? m.method ?? 0)
      .u16(0)
      .u16(0x21);
    w.u32(zeroed ? 0 : (m.localCrc ?? crc));
    if (m.zip64Local === true) w.u32(0xffffffff).u32(0xffffffff);
    else w.u32(zeroed ? 0 : payload.length).u32(zeroed ? 0 : m.data.length);
    w.u16(localName.length).u16(localExtra.length).bytes(localName).bytes(localExtra).bytes(payload);
    if (zeroed) w.u32(0x08074b50).u32(crc).u32(payload.length).u32(m.data.length);
  }
  const centralOffset = w.length;
  const centralEntryOffsets: number[] = [];
  members.forEach((m, i) => {
    centralEntryOffsets.push(w.length);
    const payload = m.payload ?? m.data;
    const name = m.nameBytes ?? encoder.encode(m.name);
    const compressed = m.centralCompressedSize ?? payload.length;
    const uncompressed = m.centralUncompressedSize ?? m.data.length;
    const deferred = [...(m.zip64Central === true ? [uncompressed, compressed] : []), ...(m.zip64Offset === true ? [localOffsets[i]!] : [])];
    const extra = m.centralExtra ?? (deferred.length > 0 ? zip64Extra(...deferred) : new Uint8Array());
    w.u32(0x02014b50)
      .u16(0x032d)
      .u16(deferred.length > 0 ? 45 : 20)
      .u16(flagsOf(m))
      .u16(m.method ?? 0)
      .u16(0)
      .u16(0x21);
    w.u32(m.crc ?? crc32(m.data));
    if (m.zip64Central === true) w.u32(0xffffffff).u32(0xffffffff);
    else w.u32(compressed).u32(uncompressed);
    w.u16(name.length).u16(extra.length).u16(0).u16(0).u16(0).u32(0x01800000);
    w.u32(m.zip64Offset === true ? 0xffffffff : localOffsets[i]!);
    w.bytes(name).bytes(extra);
  });
  const centralSize = w.length - centralOffset;
  let zip64EndOffset: number | undefined;
  let locatorOffset: number | undefined;
  const sentinels = options.zip64End === "sentinels";
  if (options.zip64End !== undefined) {
    zip64EndOffset = w.length;
    w.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(members.length).u64(members.length).u64(centralSize).u64(centralOffset);
    locatorOffset = w.length;
    w.u32(0x07064b50).u32(0).u64(zip64EndOffset).u32(1);
  }
  const endOffset = w.length;
  const count = options.entryCount ?? (sentinels ? 0xffff : members.length);
  const comment = options.comment ?? new Uint8Array();
  w.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count);
  w.u32(sentinels ? 0xffffffff : centralSize).u32(sentinels ? 0xffffffff : centralOffset);
  w.u16(comment.length).bytes(comment);
  return { bytes: w.done(), localOffsets, centralOffset, centralEntryOffsets, zip64EndOffset, locatorOffset, endOffset };
}

function flagsOf(m: FixtureMember): number {
  const utf8 = [...m.name].some((c) => c.charCodeAt(0) >= 0x80) ? 0x0800 : 0;
  return (m.flags ?? utf8) | (m.dataDescriptor === true ? 0x0008 : 0);
}

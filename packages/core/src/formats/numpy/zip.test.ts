import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { numpyFailure } from "../../testing/numpy.js";
import { buildZip, type FixtureMember, zip64Extra } from "../../testing/zip.js";
import { readZip } from "./zip.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

const hello = text("hello, hello, hello, numpy!");
const stored = (name: string, data: Uint8Array, extra: Partial<FixtureMember> = {}): FixtureMember => ({ name, data, ...extra });
const deflated = (name: string, data: Uint8Array, extra: Partial<FixtureMember> = {}): FixtureMember => ({
  name,
  data,
  method: 8,
  payload: new Uint8Array(deflateRawSync(data)),
  ...extra,
});

function setU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, value, true);
  return bytes;
}

function setU16(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(offset, value, true);
  return bytes;
}

describe("readZip: members", () => {
  it("lists members in central-directory order and reads a stored and a deflated one", async () => {
    const zip = readZip(buildZip([stored("a.txt", hello), deflated("dir/b.txt", hello)]).bytes);
    expect(zip.names()).toEqual(["a.txt", "dir/b.txt"]);
    expect(zip.has("a.txt")).toBe(true);
    expect(zip.has("b.txt")).toBe(false);
    expect(decode(await zip.read("a.txt"))).toBe("hello, hello, hello, numpy!");
    expect(decode(await zip.read("dir/b.txt"))).toBe("hello, hello, hello, numpy!");
  });

  it("reads a large deflated member that inflates in several chunks", async () => {
    const data = Uint8Array.from({ length: 120_000 }, (_, i) => (i * 7919) % 251);
    expect(await readZip(buildZip([deflated("big", data)]).bytes).read("big")).toEqual(data);
  });

  it("reads empty members, stored and deflated", async () => {
    const zip = readZip(buildZip([stored("e1", new Uint8Array()), deflated("e2", new Uint8Array())]).bytes);
    expect((await zip.read("e1")).length).toBe(0);
    expect((await zip.read("e2")).length).toBe(0);
  });

  it("reads an empty archive (just the end record) as having no members", () => {
    expect(readZip(buildZip([]).bytes).names()).toEqual([]);
  });

  it("reads Python's force_zip64 layout (np.savez): local sizes 0xFFFFFFFF with both sizes in the 0x0001 extra, plain central entries", async () => {
    const fixture = buildZip([stored("x.npy", hello, { zip64Local: true }), deflated("y.npy", hello, { zip64Local: true })]);
    const { bytes } = fixture;
    const view = new DataView(bytes.buffer);
    // The bytes are as Python writes them: version 45, sizes all-ones, a 20-byte extra (id 1, 16 bytes, u64 sizes).
    expect(view.getUint16(fixture.localOffsets[0]! + 4, true)).toBe(45);
    expect(view.getUint32(fixture.localOffsets[0]! + 18, true)).toBe(0xffffffff);
    expect(view.getUint32(fixture.localOffsets[0]! + 22, true)).toBe(0xffffffff);
    expect(view.getUint16(fixture.localOffsets[0]! + 28, true)).toBe(20);
    expect(Array.from(bytes.subarray(fixture.localOffsets[0]! + 35, fixture.localOffsets[0]! + 39))).toEqual([1, 0, 16, 0]);
    const zip = readZip(bytes);
    expect(await zip.read("x.npy")).toEqual(hello);
    expect(await zip.read("y.npy")).toEqual(hello);
  });

  it("reads ZIP64 central entries: sizes and local header offset in the 0x0001 extra", async () => {
    const zip = readZip(buildZip([stored("pad", text("padding")), deflated("z", hello, { zip64Local: true, zip64Central: true, zip64Offset: true })]).bytes);
    expect(await zip.read("z")).toEqual(hello);
  });

  it("reads an offset-only ZIP64 central entry (the extra holds just the offset)", async () => {
    expect(await readZip(buildZip([stored("pad", hello), stored("o", hello, { zip64Offset: true })]).bytes).read("o")).toEqual(hello);
  });

  it.each(["values", "sentinels"] as const)("reads a ZIP64 end record + locator (classic record holding %s)", async (mode) => {
    const fixture = buildZip([stored("a", hello), deflated("b", hello, { zip64Local: true })], { zip64End: mode });
    expect(fixture.locatorOffset).toBe(fixture.endOffset - 20);
    const zip = readZip(fixture.bytes);
    expect(zip.names()).toEqual(["a", "b"]);
    expect(await zip.read("b")).toEqual(hello);
  });

  it("finds the end record behind a comment, even one containing a fake end-record signature", async () => {
    const fake = buildZip([]).bytes; // a complete 22-byte end record, as comment text
    const comment = Uint8Array.from([...text("note: "), ...fake, ...text(" end")]);
    expect(readZip(buildZip([stored("a", hello)], { comment }).bytes).names()).toEqual(["a"]);
  });

  it("finds the end record behind a maximal 65535-byte comment", () => {
    expect(readZip(buildZip([stored("a", hello)], { comment: new Uint8Array(0xffff).fill(0x41) }).bytes).names()).toEqual(["a"]);
  });

  it("reads a member with a data descriptor (flag bit 3) by its central-directory sizes", async () => {
    const zip = readZip(buildZip([deflated("d", hello, { dataDescriptor: true }), stored("s", hello, { dataDescriptor: true, zip64Local: true })]).bytes);
    expect(await zip.read("d")).toEqual(hello);
    expect(await zip.read("s")).toEqual(hello);
  });

  it("reads UTF-8 names flagged with bit 11", async () => {
    const zip = readZip(buildZip([stored("données.npy", hello)]).bytes);
    expect(zip.names()).toEqual(["données.npy"]);
    expect(await zip.read("données.npy")).toEqual(hello);
  });

  it("reads an archive inside a larger buffer (a subarray)", async () => {
    const { bytes } = buildZip([deflated("a", hello)]);
    const host = new Uint8Array(bytes.length + 7);
    host.set(bytes, 3);
    expect(await readZip(host.subarray(3, 3 + bytes.length)).read("a")).toEqual(hello);
  });

  it("skips unrelated extra-field blocks around the ZIP64 one", async () => {
    const other = Uint8Array.from([0x55, 0x54, 5, 0, 1, 2, 3, 4, 5]); // 0x5455 extended timestamp
    const localExtra = Uint8Array.from([...other, ...zip64Extra(hello.length, hello.length)]);
    expect(await readZip(buildZip([stored("a", hello, { zip64Local: true, localExtra })]).bytes).read("a")).toEqual(hello);
  });
});

describe("readZip: malformed archives", () => {
  it("refuses data with no end record: random bytes, an empty input, a truncated archive", async () => {
    for (const bytes of [text("not a zip at all, not a zip at all"), new Uint8Array(), buildZip([stored("a", hello)]).bytes.slice(0, -1)]) {
      const error = await numpyFailure(() => readZip(bytes));
      expect(error.code).toBe("numpy.zip-eocd");
    }
    expect((await numpyFailure(() => readZip(new Uint8Array(30)))).message).toBe(
      "numpy: no ZIP end-of-central-directory record ends the data (not a ZIP archive, or truncated) (searched the last 30 bytes)",
    );
  });

  it("refuses an end record whose comment length overruns the data", async () => {
    const { bytes, endOffset } = buildZip([stored("a", hello)], { comment: text("abc") });
    expect((await numpyFailure(() => readZip(setU16(bytes, endOffset + 20, 4)))).code).toBe("numpy.zip-eocd");
  });

  it("refuses multi-disk archives", async () => {
    const { bytes, endOffset } = buildZip([stored("a", hello)]);
    const error = await numpyFailure(() => readZip(setU16(bytes, endOffset + 4, 1)));
    expect(error.code).toBe("numpy.zip-multi-disk");
    expect(error.reason).toBe("disk 1, central directory on disk 0");
  });

  it("refuses a member that starts on another disk", async () => {
    const fixture = buildZip([stored("a", hello)]);
    const error = await numpyFailure(() => readZip(setU16(fixture.bytes, fixture.centralEntryOffsets[0]! + 34, 2)));
    expect(error.code).toBe("numpy.zip-multi-disk");
    expect(error.member).toBe("a");
  });

  it("refuses a ZIP64 locator naming several disks", async () => {
    const fixture = buildZip([stored("a", hello)], { zip64End: "values" });
    expect((await numpyFailure(() => readZip(setU32(fixture.bytes, fixture.locatorOffset! + 16, 2)))).code).toBe("numpy.zip-multi-disk");
  });

  it("refuses a ZIP64 record on another disk", async () => {
    const fixture = buildZip([stored("a", hello)], { zip64End: "values" });
    expect((await numpyFailure(() => readZip(setU32(fixture.bytes, fixture.zip64EndOffset! + 16, 1)))).reason).toBe("ZIP64 record: disk 1, central directory on disk 0");
  });

  it("refuses a ZIP64 locator pointing past where a record could be", async () => {
    const fixture = buildZip([stored("a", hello)], { zip64End: "values" });
    const error = await numpyFailure(() => readZip(setU32(fixture.bytes, fixture.locatorOffset! + 8, fixture.locatorOffset! - 10)));
    expect(error.code).toBe("numpy.zip64-eocd");
    expect(error.reason).toBe(`the ZIP64 record offset ${fixture.locatorOffset! - 10} leaves no room before the locator at ${fixture.locatorOffset!}`);
  });

  it("refuses a ZIP64 locator pointing at something that is not a ZIP64 record", async () => {
    const fixture = buildZip([stored("a", hello)], { zip64End: "values" });
    const error = await numpyFailure(() => readZip(setU32(fixture.bytes, fixture.locatorOffset! + 8, 0)));
    expect(error.code).toBe("numpy.zip64-eocd");
    expect(error.reason).toBe("no ZIP64 end record signature at offset 0");
  });

  it("refuses a ZIP64 record whose declared size does not reach the locator", async () => {
    const fixture = buildZip([stored("a", hello)], { zip64End: "values" });
    const error = await numpyFailure(() => readZip(setU32(fixture.bytes, fixture.zip64EndOffset! + 4, 40)));
    expect(error.code).toBe("numpy.zip64-eocd");
    expect(error.reason).toBe(`the ZIP64 record ends at ${fixture.zip64EndOffset! + 52}, the locator starts at ${fixture.locatorOffset!}`);
  });

  it("refuses a classic end record that disagrees with the ZIP64 record below the sentinels", async () => {
    const fixture = buildZip([stored("a", hello), stored("b", hello)], { zip64End: "values", entryCount: 1 });
    const error = await numpyFailure(() => readZip(fixture.bytes));
    expect(error.code).toBe("numpy.zip64-eocd");
    expect(error.reason).toBe("entryCount is 1 in the end record but 2 in the ZIP64 record");
  });

  it("refuses a central directory that is not where the end record says (e.g. prepended bytes)", async () => {
    const { bytes } = buildZip([stored("a", hello)]);
    const shifted = Uint8Array.from([0, 0, 0, ...bytes]);
    const error = await numpyFailure(() => readZip(shifted));
    expect(error.code).toBe("numpy.zip-central-directory");
    expect(error.reason).toBe("it spans [58, 105) but must end at 108, where the end record starts");
  });

  it("refuses an end record counting more entries than the directory holds", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello)], { entryCount: 2 }).bytes));
    expect(error.code).toBe("numpy.zip-central-directory");
    expect(error.reason).toBe("entry 1 of 2: no entry header at offset 105");
  });

  it("refuses an end record counting fewer entries than the directory holds", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello), stored("b", hello)], { entryCount: 1 }).bytes));
    expect(error.code).toBe("numpy.zip-central-directory");
    expect(error.reason).toBe("47 bytes after the last of 1 entries");
  });

  it("refuses a central entry with a bad signature", async () => {
    const fixture = buildZip([stored("a", hello)]);
    const error = await numpyFailure(() => readZip(setU32(fixture.bytes, fixture.centralEntryOffsets[0]!, 0x12345678)));
    expect(error.reason).toBe(`entry 0 of 1: no entry header at offset ${fixture.centralOffset}`);
  });

  it("refuses a central entry whose name runs past the directory", async () => {
    const fixture = buildZip([stored("a", hello)]);
    const error = await numpyFailure(() => readZip(setU16(fixture.bytes, fixture.centralEntryOffsets[0]! + 28, 50)));
    expect(error.code).toBe("numpy.zip-central-directory");
    expect(error.reason).toBe("entry 0 runs past the directory's end");
  });

  it("refuses central sizes deferred to a ZIP64 extra that is absent", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello, { zip64Central: true, centralExtra: new Uint8Array() })]).bytes));
    expect(error.code).toBe("numpy.zip-extra-field");
    expect(error.reason).toBe('central directory entry "a": uncompressedSize, compressedSize deferred to a ZIP64 extra field that is absent');
  });

  it("refuses a ZIP64 extra too short for the deferred fields", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello, { zip64Central: true, zip64Offset: true, centralExtra: zip64Extra(27, 27) })]).bytes));
    expect(error.code).toBe("numpy.zip-extra-field");
    expect(error.reason).toBe('central directory entry "a": uncompressedSize, compressedSize, localHeaderOffset deferred to a ZIP64 extra field of only 16 bytes');
  });

  it("refuses an extra field whose block overruns it, or that ends in stray bytes", async () => {
    const overrun = await numpyFailure(() => readZip(buildZip([stored("a", hello, { centralExtra: Uint8Array.from([0x55, 0x54, 9, 0, 1]) })]).bytes));
    expect(overrun.code).toBe("numpy.zip-extra-field");
    expect(overrun.reason).toBe('central directory entry "a": block 0x5455 of 9 bytes runs past the extra field');
    const stray = await numpyFailure(() => readZip(buildZip([stored("a", hello, { centralExtra: Uint8Array.from([1, 0]) })]).bytes));
    expect(stray.reason).toBe('central directory entry "a": 2 stray bytes at the end of the extra field');
  });

  it("refuses a local ZIP64 header without its extra field", async () => {
    const zip = readZip(buildZip([stored("a", hello, { zip64Local: true, localExtra: new Uint8Array() })]).bytes);
    const error = await numpyFailure(() => zip.read("a"));
    expect(error.code).toBe("numpy.zip-extra-field");
    expect(error.reason).toBe('local header of "a": uncompressedSize, compressedSize deferred to a ZIP64 extra field that is absent');
  });

  it("refuses a non-ASCII name without the UTF-8 flag, and a flagged name that is not UTF-8", async () => {
    const cp437 = await numpyFailure(() => readZip(buildZip([stored("x", hello, { nameBytes: Uint8Array.from([0x82, 0x41]), flags: 0 })]).bytes));
    expect(cp437.code).toBe("numpy.zip-name");
    expect(cp437.reason).toBe("entry 0: non-ASCII name without the UTF-8 flag");
    const bad = await numpyFailure(() => readZip(buildZip([stored("x", hello, { nameBytes: Uint8Array.from([0xff]), flags: 0x0800 })]).bytes));
    expect(bad.reason).toBe("entry 0: the name is flagged UTF-8 but is not");
  });

  it("refuses duplicate member names", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a.npy", hello), stored("a.npy", hello)]).bytes));
    expect(error.code).toBe("numpy.zip-duplicate-member");
    expect(error.message).toBe('numpy archive member "a.npy": two ZIP members have the same name');
  });
});

describe("ZipArchive.read: malformed members", () => {
  it("refuses a name that is not a member, listing the members", async () => {
    const zip = readZip(buildZip([stored("a", hello), stored("b", hello)]).bytes);
    const error = await numpyFailure(() => zip.read("c"));
    expect(error.code).toBe("numpy.zip-member-missing");
    expect(error.message).toBe('numpy archive member "c": the archive has no member with this name (members: "a", "b")');
    expect((await numpyFailure(() => readZip(buildZip([]).bytes).read("c"))).reason).toBe("members: none");
  });

  it("refuses encrypted members, flagged in the central directory or only in the local header", async () => {
    const zip = readZip(buildZip([stored("traditional", hello, { flags: 0x0001 }), stored("strong", hello, { flags: 0x0041 }), stored("local", hello, { localFlags: 0x0001 })]).bytes);
    expect(zip.names()).toEqual(["traditional", "strong", "local"]);
    for (const name of ["traditional", "strong", "local"]) {
      const error = await numpyFailure(() => zip.read(name));
      expect(error.code).toBe("numpy.zip-encrypted");
      expect(error.member).toBe(name);
    }
  });

  it("refuses compression methods other than stored and deflate", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello, { method: 12 })]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-compression");
    expect(error.message).toBe('numpy archive member "a": only stored (0) and deflate (8) ZIP compression are supported (method 12)');
  });

  it("refuses a member larger than maxMemberSize before inflating it", async () => {
    const zip = readZip(buildZip([deflated("a", hello)]).bytes, { maxMemberSize: 10 });
    const error = await numpyFailure(() => zip.read("a"));
    expect(error.code).toBe("numpy.zip-member-too-large");
    expect(error.reason).toBe("27 bytes, limit 10");
  });

  it("refuses a stored member whose compressed and uncompressed sizes differ", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello, { centralUncompressedSize: 26, dataDescriptor: true })]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-size");
    expect(error.reason).toBe("a stored member's compressed size 27 differs from its size 26");
  });

  it("refuses a missing local header signature", async () => {
    const fixture = buildZip([stored("a", hello)]);
    const error = await numpyFailure(() => readZip(setU32(fixture.bytes, 0, 0)).read("a"));
    expect(error.code).toBe("numpy.zip-local-header");
    expect(error.reason).toBe("no local header at offset 0");
  });

  it("refuses a local header offset inside the central directory", async () => {
    const fixture = buildZip([stored("a", hello)]);
    const error = await numpyFailure(() => readZip(setU32(fixture.bytes, fixture.centralEntryOffsets[0]! + 42, fixture.centralOffset)).read("a"));
    expect(error.reason).toBe(`no local header at offset ${fixture.centralOffset}`);
  });

  it("refuses a local header whose name differs from the central directory's", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a.npy", hello, { localName: "b.npy" })]).bytes).read("a.npy"));
    expect(error.code).toBe("numpy.zip-local-header");
    expect(error.reason).toBe(`the local name "b.npy" differs from the central directory's`);
  });

  it("refuses a local header whose method differs from the central directory's", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello, { localMethod: 8 })]).bytes).read("a"));
    expect(error.reason).toBe("compression method 8, central directory says 0");
  });

  it("refuses a local header whose name and extra run into the central directory", async () => {
    const fixture = buildZip([stored("a", hello)]);
    const error = await numpyFailure(() => readZip(setU16(fixture.bytes, 28, 0xffff)).read("a"));
    expect(error.reason).toBe("the name and extra field run into the central directory");
  });

  it("refuses a local CRC that differs from the central directory's", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello, { localCrc: 0xdeadbeef })]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-local-header");
    expect(error.reason).toMatch(/^CRC-32 0xdeadbeef, central directory says 0x[0-9a-f]{8}$/);
  });

  it("refuses local sizes (ZIP64-resolved) that differ from the central directory's", async () => {
    const localExtra = zip64Extra(27, 26);
    const error = await numpyFailure(() => readZip(buildZip([deflated("a", hello, { zip64Local: true, localExtra })]).bytes).read("a"));
    const compressed = deflateRawSync(hello).length;
    expect(error.reason).toBe(`sizes 26/27, central directory says ${compressed}/27 (compressed/uncompressed)`);
  });

  it("refuses member data that runs into the central directory", async () => {
    const error = await numpyFailure(() => readZip(buildZip([stored("a", hello, { dataDescriptor: true, centralCompressedSize: 100, centralUncompressedSize: 100 })]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-member-range");
    expect(error.reason).toBe("100 bytes from offset 31 pass the central directory at 74");
  });

  it("refuses a corrupt deflate stream", async () => {
    const payload = Uint8Array.from([0xff, 0xff, 0xff, 0xff]);
    const error = await numpyFailure(() => readZip(buildZip([{ name: "a", data: hello, method: 8, payload }]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-inflate");
    expect(error.member).toBe("a");
  });

  it("refuses a truncated deflate stream", async () => {
    const payload = new Uint8Array(deflateRawSync(hello)).subarray(0, 5);
    const error = await numpyFailure(() => readZip(buildZip([{ name: "a", data: hello, method: 8, payload }]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-inflate");
  });

  it("stops inflating once the output passes the declared size (a deflate bomb)", async () => {
    const bomb = new Uint8Array(10_000_000);
    const error = await numpyFailure(() => readZip(buildZip([deflated("bomb", bomb, { centralUncompressedSize: 1000, dataDescriptor: true })]).bytes).read("bomb"));
    expect(error.code).toBe("numpy.zip-size");
    expect(error.message).toBe('numpy archive member "bomb": the member\'s data has a different length than the central directory says (inflates to more than the declared 1000 bytes)');
  });

  it("refuses deflated data shorter than the declared size", async () => {
    const error = await numpyFailure(() => readZip(buildZip([deflated("a", hello, { centralUncompressedSize: 28, dataDescriptor: true })]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-size");
    expect(error.reason).toBe("inflated to 27 bytes, the central directory says 28");
  });

  it("detects a corrupted stored byte by its CRC-32", async () => {
    const fixture = buildZip([stored("a", hello)]);
    const at = fixture.localOffsets[0]! + 31; // first data byte, after the 30-byte header and 1-byte name
    fixture.bytes[at] = fixture.bytes[at]! ^ 0x01;
    const error = await numpyFailure(() => readZip(fixture.bytes).read("a"));
    expect(error.code).toBe("numpy.zip-crc");
    expect(error.member).toBe("a");
    expect(error.reason).toMatch(/^computed 0x[0-9a-f]{8}, recorded 0x[0-9a-f]{8}$/);
  });

  it("detects a wrong recorded CRC-32 on a deflated member", async () => {
    const error = await numpyFailure(() => readZip(buildZip([deflated("a", hello, { crc: 0x12345678, dataDescriptor: true })]).bytes).read("a"));
    expect(error.code).toBe("numpy.zip-crc");
    expect(error.details).toMatchObject({ member: "a", expected: 0x12345678 });
  });
});

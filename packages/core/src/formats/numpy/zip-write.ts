import { crc32 } from "./crc32.js";

/**
 * A ZIP archive of stored (uncompressed) members, as np.savez writes them: plain ZIP records, no
 * ZIP64, so every member and the whole archive stay under 4 GiB (a RangeError otherwise).
 */
export function writeZip(members: readonly { readonly name: string; readonly bytes: Uint8Array }[]): Uint8Array {
  const encoder = new TextEncoder();
  const entries = members.map((m) => ({ name: encoder.encode(m.name), body: m.bytes, crc: crc32(m.bytes) }));
  const localSize = entries.reduce((n, m) => n + 30 + m.name.length + m.body.length, 0);
  const centralSize = entries.reduce((n, m) => n + 46 + m.name.length, 0);
  if (localSize + centralSize + 22 > 0xffffffff || entries.length > 0xffff) throw new RangeError("a ZIP without ZIP64 holds at most 4 GiB and 65,535 members");
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  for (const m of entries) {
    offsets.push(at);
    view.setUint32(at, 0x04034b50, true); // local file header
    view.setUint16(at + 4, 20, true); // version needed
    view.setUint32(at + 14, m.crc, true);
    view.setUint32(at + 18, m.body.length, true);
    view.setUint32(at + 22, m.body.length, true);
    view.setUint16(at + 26, m.name.length, true);
    out.set(m.name, at + 30);
    out.set(m.body, at + 30 + m.name.length);
    at += 30 + m.name.length + m.body.length;
  }
  const centralStart = at;
  entries.forEach((m, i) => {
    view.setUint32(at, 0x02014b50, true); // central directory header
    view.setUint16(at + 4, 20, true); // version made by
    view.setUint16(at + 6, 20, true); // version needed
    view.setUint32(at + 16, m.crc, true);
    view.setUint32(at + 20, m.body.length, true);
    view.setUint32(at + 24, m.body.length, true);
    view.setUint16(at + 28, m.name.length, true);
    view.setUint32(at + 42, offsets[i]!, true);
    out.set(m.name, at + 46);
    at += 46 + m.name.length;
  });
  view.setUint32(at, 0x06054b50, true); // end of central directory
  view.setUint16(at + 8, entries.length, true);
  view.setUint16(at + 10, entries.length, true);
  view.setUint32(at + 12, centralSize, true);
  view.setUint32(at + 16, centralStart, true);
  return out;
}

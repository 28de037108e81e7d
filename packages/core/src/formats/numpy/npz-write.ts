import { crc32 } from "./crc32.js";
import { writeNpy } from "./npy.js";

/**
 * np.savez's layout (stored members `<key>.npy`, no compression) for float32 arrays: how a SemLA
 * library's `<domain>_statistics.npz` is written. Plain ZIP records (no ZIP64: members stay far below 4 GiB).
 */
export function writeNpz(arrays: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>): Uint8Array {
  const encoder = new TextEncoder();
  const members = Object.entries(arrays).map(([key, { shape, data }]) => {
    const name = encoder.encode(`${key}.npy`);
    const body = writeNpy(shape, data);
    return { name, body, crc: crc32(body) };
  });
  const localSize = members.reduce((n, m) => n + 30 + m.name.length + m.body.length, 0);
  const centralSize = members.reduce((n, m) => n + 46 + m.name.length, 0);
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  for (const m of members) {
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
  members.forEach((m, i) => {
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
  view.setUint16(at + 8, members.length, true);
  view.setUint16(at + 10, members.length, true);
  view.setUint32(at + 12, centralSize, true);
  view.setUint32(at + 16, centralStart, true);
  return out;
}

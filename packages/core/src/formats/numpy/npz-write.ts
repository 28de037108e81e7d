import { writeNpy } from "./npy.js";
import { writeZip } from "./zip-write.js";

/**
 * np.savez's layout (stored members `<key>.npy`, no compression) for float32 arrays: how a SemLA
 * library's `<domain>_statistics.npz` is written. Plain ZIP records (no ZIP64: members stay far below 4 GiB).
 */
export function writeNpz(arrays: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>): Uint8Array {
  return writeZip(Object.entries(arrays).map(([key, { shape, data }]) => ({ name: `${key}.npy`, bytes: writeNpy(shape, data) })));
}

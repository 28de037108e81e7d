import { NumpyFormatError } from "./errors.js";
import { type NpyArray, readNpy } from "./npy.js";
import { type ReadZipOptions, readZip } from "./zip.js";

/** An .npz archive (np.savez / np.savez_compressed): a ZIP of .npy members, read lazily by key. */
export interface NpzArchive {
  /** Array keys as np.load(...).files shows them for .npy members: the member name without ".npy". */
  keys(): string[];
  /** Parses one array; errors name the member. */
  array(key: string): Promise<NpyArray>;
}

const SUFFIX = ".npy";

/** Opens the archive (validating its central directory now); arrays are parsed on demand. */
export function openNpz(bytes: Uint8Array, options: ReadZipOptions = {}): NpzArchive {
  const zip = readZip(bytes, options);
  const keys = zip
    .names()
    .filter((name) => name.endsWith(SUFFIX))
    .map((name) => name.slice(0, -SUFFIX.length));
  return {
    keys: () => [...keys],
    async array(key) {
      const member = `${key}${SUFFIX}`;
      if (!zip.has(member)) {
        throw new NumpyFormatError("npz-missing-key", { member, reason: `key ${JSON.stringify(key)}; keys: ${keys.map((k) => JSON.stringify(k)).join(", ") || "none"}`, extra: { key, keys } });
      }
      const data = await zip.read(member);
      try {
        return readNpy(data);
      } catch (error) {
        throw error instanceof NumpyFormatError ? error.inMember(member) : error;
      }
    },
  };
}

/** Reads every array of the archive, keyed as in `openNpz`. */
export async function readNpz(bytes: Uint8Array, options: ReadZipOptions = {}): Promise<Map<string, NpyArray>> {
  const npz = openNpz(bytes, options);
  const arrays = new Map<string, NpyArray>();
  for (const key of npz.keys()) arrays.set(key, await npz.array(key));
  return arrays;
}

import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { SemlaError } from "@semla/core";

/** One adapter on disk: PEFT files plus its centroid (or sample images). */
export interface AdapterFolder {
  readonly name: string;
  readonly dir: string;
  /** .npz (SemLA's <domain>_statistics.npz), .npy or .json; undefined when sample images are given instead. */
  readonly centroidFile: string | undefined;
}

const CONFIG = "adapter_config.json";
const WEIGHTS = "adapter_model.safetensors";

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function centroidIn(dir: string, name: string): Promise<string | undefined> {
  for (const candidate of [`${name}_statistics.npz`, "centroid.npy", "centroid.json", "centroid.npz"]) {
    if (await isFile(path.join(dir, candidate))) return path.join(dir, candidate);
  }
  const statistics = (await readdir(dir)).find((f) => f.endsWith("_statistics.npz"));
  return statistics ? path.join(dir, statistics) : undefined;
}

/**
 * The adapters under `target`: an adapter folder (or its .safetensors file) is one; a folder of
 * adapter folders (a SemLA loradb) is each of them, named after its folder, in name order.
 */
export async function findAdapterFolders(target: string, options: { name?: string | undefined; centroid?: string | undefined; strictLoraDb?: boolean } = {}): Promise<AdapterFolder[]> {
  const resolved = path.resolve(target);
  const dir = (await isFile(resolved)) ? path.dirname(resolved) : resolved;
  if (await isFile(path.join(dir, CONFIG))) {
    if (options.strictLoraDb) throw new SemlaError("cli.not-loradb", `${dir} is one adapter, not a loradb folder of <domain>/ folders: use adapters push`);
    const name = options.name ?? path.basename(dir);
    return [{ name, dir, centroidFile: options.centroid ? path.resolve(options.centroid) : await centroidIn(dir, name) }];
  }
  if (options.name || options.centroid) throw new SemlaError("cli.usage", "--name and --centroid apply to a single adapter folder");
  const folders: AdapterFolder[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const sub = path.join(dir, entry.name);
    if (!(await isFile(path.join(sub, CONFIG)))) continue;
    const centroidFile = options.strictLoraDb ? path.join(sub, `${entry.name}_statistics.npz`) : await centroidIn(sub, entry.name);
    folders.push({ name: entry.name, dir: sub, centroidFile });
  }
  if (folders.length === 0) throw new SemlaError("cli.no-adapters", `no adapter folders (with ${CONFIG} and ${WEIGHTS}) in ${dir}`);
  return folders;
}

export async function readAdapterFiles(folder: AdapterFolder): Promise<{ config: Uint8Array; weights: Uint8Array; centroid?: { name: string; bytes: Uint8Array } }> {
  const [config, weights] = await Promise.all([readFile(path.join(folder.dir, CONFIG)), readFile(path.join(folder.dir, WEIGHTS))]);
  const centroid = folder.centroidFile ? { name: path.basename(folder.centroidFile), bytes: new Uint8Array(await readFile(folder.centroidFile)) } : undefined;
  return { config: new Uint8Array(config), weights: new Uint8Array(weights), ...(centroid ? { centroid } : {}) };
}

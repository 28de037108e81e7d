import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { numpy } from "@semla/core";
import type { AdapterIndex } from "../db/adapter-index.js";
import { requireLibrary } from "../db/require-library.js";
import { type RegistryDeps, registerAdapter } from "./register.js";

export interface LoraDbImportItem {
  readonly domain: string;
  readonly status: "created" | "existing" | "failed";
  readonly adapterId?: string;
  readonly version?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface LoraDbImportOptions {
  readonly tenant: string;
  readonly libraryId: string;
  /** Called after each domain, for progress output. */
  readonly onItem?: (item: LoraDbImportItem, done: number, total: number) => void;
}

/**
 * Imports a SemLA reference library folder as it is: `loradb/<domain>/{adapter_config.json,
 * adapter_model.safetensors, <domain>_statistics.npz}`, one adapter per domain named after it. The
 * statistics' optional spread (numpy.SEMLA_SPREAD_KEYS, in the library's metric) is kept too.
 * Each domain goes in all or nothing; one failing domain does not stop the others.
 */
export async function importLoraDb(deps: RegistryDeps & { index: AdapterIndex }, root: string, options: LoraDbImportOptions): Promise<LoraDbImportItem[]> {
  const library = await requireLibrary(deps.index, options.tenant, options.libraryId);
  const domains = (await readdir(root, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const items: LoraDbImportItem[] = [];
  for (const domain of domains) {
    const folder = join(root, domain);
    let item: LoraDbImportItem;
    try {
      const [config, weights, statistics] = await Promise.all([
        readFile(join(folder, "adapter_config.json")),
        readFile(join(folder, "adapter_model.safetensors")),
        readFile(join(folder, `${domain}_statistics.npz`)),
      ]);
      const centroid = await numpy.parseCentroid({ format: "npz", bytes: statistics }, { key: numpy.SEMLA_CENTROID_KEY, dimension: library.dimension });
      const spread = (await numpy.readNpz(statistics)).get(numpy.SEMLA_SPREAD_KEYS[library.metric])?.data[0] ?? null;
      const result = await registerAdapter(deps, { tenant: options.tenant, libraryId: library.id, name: domain, config, weights, centroid, spread });
      item = { domain, status: result.created ? "created" : "existing", adapterId: result.adapter.id, version: result.adapter.version };
    } catch (error) {
      const code = error instanceof Error && "code" in error ? String(error.code) : "error";
      item = { domain, status: "failed", error: { code, message: error instanceof Error ? error.message : String(error) } };
    }
    items.push(item);
    options.onItem?.(item, items.length, domains.length);
  }
  return items;
}

import type { BankAdapter, BankLibrary } from "@semla/inference";
import type { AdapterIndex, LibraryRecord } from "@semla/registry";
import { activeAdapters } from "./retrieve.js";

/**
 * A library at the generation the request read, for a backend that publishes bank manifests: its
 * active adapters in bank order (by id, so every process writes the same manifest), read only when
 * asked, and only if the library is still at that generation after they were read (the generation
 * is bumped in the transaction that changes the adapters, so an unchanged generation before and
 * after the read means the list is that generation's).
 */
export function bankLibrary(index: AdapterIndex, library: LibraryRecord): BankLibrary {
  return {
    id: library.id,
    generation: library.generation,
    async bankAdapters(): Promise<readonly BankAdapter[] | null> {
      const rows = await activeAdapters(index, library);
      const now = await index.getLibrary(library.tenant, library.id);
      if (now?.generation !== library.generation) return null;
      return rows
        .map(({ id, sha256, objectKey, config }) => ({ id, adapter: { sha256, objectKey, config } }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((r) => r.adapter);
    },
  };
}

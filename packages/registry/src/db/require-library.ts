import { RegistryError } from "../errors.js";
import type { AdapterIndex, LibraryRecord } from "./adapter-index.js";

/** The one "no such library" refusal (registry.unknown-library, not-found), naming the id. */
export function unknownLibrary(libraryId: string): RegistryError {
  return new RegistryError("unknown-library", `library ${libraryId} does not exist`, { libraryId });
}

/**
 * A tenant's library, or unknownLibrary: another tenant's library does not exist for this one, so
 * the API, the pipeline, ingestion and the commands all refuse it in the same words.
 */
export async function requireLibrary(index: Pick<AdapterIndex, "getLibrary">, tenant: string, libraryId: string): Promise<LibraryRecord> {
  const library = await index.getLibrary(tenant, libraryId);
  if (!library) throw unknownLibrary(libraryId);
  return library;
}

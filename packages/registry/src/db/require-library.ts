import { and, eq } from "drizzle-orm";
import { RegistryError } from "../errors.js";
import type { AdapterIndex, LibraryRecord } from "./adapter-index.js";
import type { RegistryDatabase } from "./database.js";
import { isUuid } from "./ids.js";
import { libraries } from "./schema.js";
import { storableText } from "./text.js";

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

/** Whether the library is the tenant's, for the stores beside the index (stats): one query, no row read. */
export async function tenantHasLibrary(db: RegistryDatabase, tenant: string, libraryId: string): Promise<boolean> {
  if (!isUuid(libraryId)) return false;
  storableText("tenant", tenant);
  const [library] = await db
    .select({ id: libraries.id })
    .from(libraries)
    .where(and(eq(libraries.id, libraryId), eq(libraries.tenant, tenant)));
  return library !== undefined;
}

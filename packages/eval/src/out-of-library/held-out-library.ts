import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AdapterIndex, importLoraDb, type LibraryRecord } from "@semla/registry";
import type { BlobStore } from "@semla/storage";

export interface HeldOutLibraryInput {
  readonly tenant: string;
  /** The library the held-out one mirrors: its base model, encoder, dimension and metric. */
  readonly source: LibraryRecord;
  /** A SemLA loradb folder (`<domain>/…`, as the world writes it) holding every domain's adapter. */
  readonly loradb: string;
  /** Domains left out of the new library entirely. */
  readonly heldOut: readonly string[];
  readonly name: string;
}

/**
 * A library built without the held-out domains: the loradb folder's other domains, ingested
 * through importLoraDb as the full library was, into a new library of the same kind. Its
 * calibration is then computed by the pipeline from the adapters it holds, as a real library
 * that never had those domains would be.
 */
export async function createHeldOutLibrary(deps: { readonly index: AdapterIndex; readonly store: BlobStore }, input: HeldOutLibraryInput): Promise<LibraryRecord> {
  const domains = (await readdir(input.loradb, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  const unknown = input.heldOut.filter((d) => !domains.includes(d));
  if (unknown.length > 0) throw new RangeError(`held-out domains not in ${input.loradb}: ${unknown.join(", ")}`);
  const { source } = input;
  const library = await deps.index.createLibrary({
    tenant: input.tenant,
    name: input.name,
    baseModelId: source.baseModelId,
    embeddingModelId: source.embeddingModelId,
    dimension: source.dimension,
    metric: source.metric,
  });
  const kept = await mkdtemp(path.join(tmpdir(), "semla-held-out-"));
  try {
    for (const domain of domains.filter((d) => !input.heldOut.includes(d))) await cp(path.join(input.loradb, domain), path.join(kept, domain), { recursive: true });
    const items = await importLoraDb(deps, kept, { tenant: input.tenant, libraryId: library.id });
    const failed = items.filter((i) => i.status === "failed");
    if (failed.length > 0) throw new Error(`held-out library import failed: ${failed.map((f) => `${f.domain}: ${f.error?.message}`).join("; ")}`);
  } finally {
    await rm(kept, { recursive: true, force: true });
  }
  return library;
}

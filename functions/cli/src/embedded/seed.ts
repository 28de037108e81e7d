import type { ModelPack } from "@semla/models";
import type { AdapterIndex, LibraryRecord } from "@semla/registry";
import type { BlobStore } from "@semla/storage";

/**
 * What seeds the embedded default's demo library: the shape of @semla/world's
 * `ensureWorldLibrary` (a fitted library plus the models it belongs to). Idempotent: called on
 * every start, it generates only what is missing.
 */
export interface SeedLibraryInput {
  readonly dataDir: string;
  readonly index: AdapterIndex;
  readonly store: BlobStore;
  readonly tenant: string;
  readonly seed?: number;
  readonly onProgress?: (message: string) => void;
}

export interface SeededLibrary {
  readonly library: LibraryRecord;
  readonly models: ModelPack;
  readonly classNames: readonly string[];
  readonly testImages: readonly { readonly domain: string; readonly path: string }[];
}

export type SeedLibrary = (input: SeedLibraryInput) => Promise<SeededLibrary>;

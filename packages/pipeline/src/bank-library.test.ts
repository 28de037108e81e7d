import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { peft, randomAdapter } from "@semla/core";
import { type AdapterIndex, type AdapterRecord, type LibraryRecord, registerAdapter } from "@semla/registry";
import { createTestPgliteIndex } from "@semla/registry/testing";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bankLibrary } from "./bank-library.js";

// A library's bank adapters as the SageMaker backend publishes them: the registry's active adapters
// at the generation the request read, in id order, or null once another writer moved the library on.

const TENANT = "tenant-bank";
const MODULES = [{ name: "blocks.0.attn.q_proj", inFeatures: 8, outFeatures: 8 }];

describe("bankLibrary", () => {
  let dir: string;
  let index: AdapterIndex;
  let store: BlobStore;
  let library: LibraryRecord;
  const registered: AdapterRecord[] = [];

  const register = async (name: string, seed: number) => {
    const files = peft.writePeftAdapter(randomAdapter({ modules: MODULES, rank: 2, seed, baseModel: "seg-tiny" }));
    const centroid = new Float32Array(4).fill(seed / 10);
    const { adapter } = await registerAdapter({ index, store }, { tenant: TENANT, libraryId: library.id, name, config: files.config, weights: files.weights, centroid });
    registered.push(adapter);
    return adapter;
  };
  const current = async () => (await index.getLibrary(TENANT, library.id)) as LibraryRecord;
  const asBank = (rows: readonly AdapterRecord[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1)).map(({ sha256, objectKey, config }) => ({ sha256, objectKey, config }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-bank-library-"));
    index = await createTestPgliteIndex();
    store = createFsBlobStore({ root: dir });
    library = await index.createLibrary({ tenant: TENANT, name: "world", baseModelId: "seg-tiny", embeddingModelId: "clip-tiny", dimension: 4, metric: "euclidean" });
    for (const [i, name] of ["fog", "night", "rain"].entries()) await register(name, i + 1);
  }, 60_000);
  afterAll(async () => {
    await index?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("names the library at the generation read, and lists its active adapters in id order", async () => {
    const read = await current();
    expect(read.generation).toBe(3);
    const bank = bankLibrary(index, read);
    expect([bank.id, bank.generation]).toEqual([library.id, 3]);
    const adapters = await bank.bankAdapters();
    expect(adapters).toEqual(asBank(registered));
    expect(adapters).toHaveLength(3);
  });

  it("answers null once the library has moved to another generation (an adapter added, or one deleted)", async () => {
    const read = await current();
    await register("snow", 4);
    expect(await bankLibrary(index, read).bankAdapters()).toBeNull();
    const added = await current();
    expect(added.generation).toBe(read.generation + 1);
    expect(await bankLibrary(index, added).bankAdapters()).toEqual(asBank(registered));

    await index.deleteAdapter(registered[0]!.id);
    expect(await bankLibrary(index, added).bankAdapters()).toBeNull();
    expect(await bankLibrary(index, await current()).bankAdapters()).toEqual(asBank(registered.slice(1)));
  });
});

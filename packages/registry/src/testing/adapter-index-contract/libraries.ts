// Part of the AdapterIndex contract (index.ts): the migrations a fresh database gets, and the libraries in it.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { hnswIndexName } from "../../db/hnsw.js";
import { MIGRATIONS_FOLDER } from "../../db/migrate.js";
import { addActive, newAdapter, newLibrary, rejection, uniqueTenant } from "../fixtures.js";
import type { ContractDatabase, ContractSuite } from "./suite.js";

export function describeLibraries(suite: ContractSuite): void {
  let db: ContractDatabase;
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ db, index } = suite);
  });
  const { library } = suite;

  describe("migrations", () => {
    it("apply on a fresh database: the vector extension first, then the tables", async () => {
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
        entries: { tag: string; when: number }[];
      };
      expect(journal.entries.map((e) => e.tag)).toEqual([
        "0000_enable-vector",
        "0001_init",
        "0002_centroid-storage-main",
        "0003_nearest-functions",
        "0004_contributions",
        "0005_coverage",
        "0006_hnsw-for-large-libraries",
        "0007_coverage-events",
        "0008_jobs",
      ]);
      const applied = await db.query("SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY id");
      expect(applied.map((r) => Number(r.created_at))).toEqual(journal.entries.map((e) => e.when));
      expect(await db.query("SELECT extname FROM pg_extension WHERE extname = 'vector'")).toEqual([{ extname: "vector" }]);
      const tables = await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
      expect(tables.map((r) => r.table_name)).toEqual(["adapters", "api_keys", "contributions", "coverage_events", "jobs", "libraries"]);
      // Centroids stay in the row (STORAGE MAIN), so the planner costs scans by their real size.
      expect(await db.query("SELECT attstorage FROM pg_attribute WHERE attrelid = 'adapters'::regclass AND attname = 'centroid'")).toEqual([{ attstorage: "m" }]);
    });

    it("running them twice more is a no-op that keeps the data", async () => {
      const lib = await library();
      const before = await db.query("SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id");
      await db.migrate();
      await db.migrate();
      expect(await db.query("SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id")).toEqual(before);
      expect(await index.getLibrary(lib.tenant, lib.id)).toEqual(lib);
    });
  });

  describe("libraries", () => {
    it("createLibrary returns the stored record with no module shapes yet", async () => {
      const input = newLibrary({ dimension: 512, metric: "cosine" });
      const lib = await index.createLibrary(input);
      expect(lib).toEqual({ ...input, id: lib.id, moduleShapes: {}, generation: 0, calibration: null, coveragePolicy: "fuse", createdAt: lib.createdAt });
      expect(lib.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(lib.createdAt).toBeInstanceOf(Date);
      expect(await index.getLibrary(input.tenant, lib.id)).toEqual(lib);
    });

    it("getLibrary is scoped by tenant and finds nothing for unknown or malformed ids", async () => {
      const lib = await library();
      expect(await index.getLibrary(uniqueTenant(), lib.id)).toBeUndefined();
      expect(await index.getLibrary(lib.tenant, randomUUID())).toBeUndefined();
      expect(await index.getLibrary(lib.tenant, "not-a-uuid")).toBeUndefined();
    });

    it("listLibraries returns the tenant's libraries, oldest first, and no other tenant's", async () => {
      const tenant = uniqueTenant();
      const first = await index.createLibrary(newLibrary({ tenant, name: "first" }));
      const second = await index.createLibrary(newLibrary({ tenant, name: "second" }));
      await index.createLibrary(newLibrary({ tenant: uniqueTenant(), name: "first" }));
      expect(await index.listLibraries(tenant)).toEqual([first, second]);
      expect(await index.listLibraries(uniqueTenant())).toEqual([]);
    });

    it("a second library with the same tenant and name is refused with library-exists", async () => {
      const lib = await library();
      const error = await rejection(index.createLibrary(newLibrary({ tenant: lib.tenant, name: lib.name })));
      expect(error.code).toBe("registry.library-exists");
      expect(error.message).toBe('library "alps" already exists');
      // The same name in another tenant is another library.
      const other = await library({ name: lib.name });
      expect(other.id).not.toBe(lib.id);
    });

    it("refuses dimensions outside 1..16000", async () => {
      for (const dimension of [0, 16001, 2.5]) {
        const error = await rejection(index.createLibrary(newLibrary({ dimension })));
        expect(error.code).toBe("registry.invalid-dimension");
      }
    });

    it("creates no HNSW index with a library: a small library is scanned exactly", async () => {
      const lib = await library({ dimension: 3, metric: "cosine" });
      expect(await db.query(`SELECT indexname FROM pg_indexes WHERE indexname = '${hnswIndexName(lib.id)}'`)).toEqual([]);
    });

    it("updateLibrary renames and corrects the model ids of an empty library; a taken name is library-exists, another tenant's library unknown", async () => {
      const lib = await library({ dimension: 3 });
      await index.createLibrary(newLibrary({ tenant: lib.tenant, name: "taken", dimension: 3 }));
      const changed = await index.updateLibrary(lib.tenant, lib.id, { name: "renamed", baseModelId: "segformer-b5", embeddingModelId: undefined });
      expect(changed).toEqual({ ...lib, name: "renamed", baseModelId: "segformer-b5" });
      expect(await index.getLibrary(lib.tenant, lib.id)).toEqual(changed);
      expect(await index.updateLibrary(lib.tenant, lib.id, {})).toEqual(changed);
      expect((await rejection(index.updateLibrary(lib.tenant, lib.id, { name: "taken" }))).message).toBe('library "taken" already exists');
      expect((await rejection(index.updateLibrary(uniqueTenant(), lib.id, { name: "x" }))).code).toBe("registry.unknown-library");
    });

    it("updateLibrary keeps the model ids of a library holding adapters (library-not-empty), and still renames it", async () => {
      const lib = await library({ dimension: 3 });
      await addActive(index, lib, "fog", [1, 0, 0]);
      const error = await rejection(index.updateLibrary(lib.tenant, lib.id, { baseModelId: "another" }));
      expect([error.code, error.message]).toEqual(["registry.library-not-empty", `library "${lib.name}" holds 1 adapters made for its baseModelId: remove them first, or create a new library`]);
      expect((await index.updateLibrary(lib.tenant, lib.id, { name: "renamed", baseModelId: lib.baseModelId })).name).toBe("renamed");
    });

    it("deleteLibrary refuses a library holding adapters unless cascade, then removes them, its HNSW index, and returns their object keys", async () => {
      const empty = await library({ dimension: 3 });
      expect(await index.deleteLibrary(empty.tenant, empty.id, { cascade: false })).toEqual({ library: empty, objectKeys: [] });
      expect(await index.getLibrary(empty.tenant, empty.id)).toBeUndefined();

      const lib = await library({ dimension: 3 });
      const fog = await addActive(index, lib, "fog", [1, 0, 0]);
      const pending = await index.insertPending(newAdapter(lib.id, "rain", [0, 1, 0]));
      const refused = await rejection(index.deleteLibrary(lib.tenant, lib.id, { cascade: false }));
      expect([refused.code, refused.message]).toEqual(["registry.library-not-empty", `library "${lib.name}" holds 2 adapters: remove them first, or remove it with them (cascade)`]);
      expect((await rejection(index.deleteLibrary(uniqueTenant(), lib.id, { cascade: true }))).code).toBe("registry.unknown-library");

      const removed = await index.deleteLibrary(lib.tenant, lib.id, { cascade: true });
      expect(removed.objectKeys.sort()).toEqual([fog.objectKey, pending.objectKey].sort());
      expect(await index.getLibrary(lib.tenant, lib.id)).toBeUndefined();
      expect(await index.getAdapter(lib.tenant, fog.id)).toBeUndefined();
      expect(await index.referencesObject(fog.objectKey)).toBe(false);
      expect(await db.query(`SELECT indexname FROM pg_indexes WHERE indexname = '${hnswIndexName(lib.id)}'`)).toEqual([]);
    });
  });
}

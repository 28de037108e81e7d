import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createPrng, routing } from "@semla/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterRecord, LibraryRecord } from "../../db/adapter-index.js";
import { API_KEY_PREFIX, createApiKeyStore, hashApiKey } from "../../db/api-keys.js";
import { createContributionStore } from "../../db/contributions.js";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { hnswIndexName } from "../../db/hnsw.js";
import { MIGRATIONS_FOLDER } from "../../db/migrate.js";
import { toVectorLiteral } from "../../db/vector.js";
import { addActive, CONFIG, clusteredPoints, near, newAdapter, newLibrary, rejection, uniqueTenant } from "../fixtures.js";

/**
 * The AdapterIndex contract, written once and run against every driver (pg-index.services.test.ts,
 * pglite-index.test.ts). A driver hands over a fresh, migrated database; tests share it within
 * the file and stay apart by making their own tenants and libraries.
 */
export interface ContractDatabase {
  readonly index: DrizzleAdapterIndex;
  /** Runs the driver's migrations again. */
  migrate(): Promise<void>;
  /** Raw SQL, for what the interface does not show (migration history, bulk rows, ANALYZE). */
  query(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface ContractDriver {
  readonly name: string;
  open(): Promise<ContractDatabase>;
}

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

export function describeAdapterIndexContract(driver: ContractDriver): void {
  describe(`AdapterIndex on ${driver.name}`, () => {
    let db: ContractDatabase;
    let index: DrizzleAdapterIndex;

    beforeAll(async () => {
      db = await driver.open();
      index = db.index;
    });
    afterAll(async () => {
      await db?.close();
    });

    const library = (overrides: Parameters<typeof newLibrary>[0] = {}) => index.createLibrary(newLibrary(overrides));

    describe("migrations", () => {
      it("apply on a fresh database: the vector extension first, then the tables", async () => {
        const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
          entries: { tag: string; when: number }[];
        };
        expect(journal.entries.map((e) => e.tag)).toEqual(["0000_enable-vector", "0001_init", "0002_centroid-storage-main", "0003_nearest-functions", "0004_contributions"]);
        const applied = await db.query("SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY id");
        expect(applied.map((r) => Number(r.created_at))).toEqual(journal.entries.map((e) => e.when));
        expect(await db.query("SELECT extname FROM pg_extension WHERE extname = 'vector'")).toEqual([{ extname: "vector" }]);
        const tables = await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
        expect(tables.map((r) => r.table_name)).toEqual(["adapters", "api_keys", "contributions", "libraries"]);
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
        expect(lib).toEqual({ ...input, id: lib.id, moduleShapes: {}, createdAt: lib.createdAt });
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

      it("creates the library's HNSW index with it, for its dimension and metric", async () => {
        const lib = await library({ dimension: 3, metric: "cosine" });
        const [row] = await db.query(`SELECT indexdef FROM pg_indexes WHERE indexname = '${hnswIndexName(lib.id)}'`);
        expect(String(row?.indexdef)).toContain(`USING hnsw (((centroid)::vector(3)) vector_cosine_ops)`);
        expect(String(row?.indexdef)).toContain(`WHERE ((library_id = '${lib.id}'::uuid) AND (status = 'active'::text))`);
      });
    });

    describe("insertPending", () => {
      it("stores a pending row with version 1 and the object key of that version", async () => {
        const lib = await library();
        const input = newAdapter(lib.id, "fog", [0.1, -2.5, 1e-7, 3.4e38], { byteSize: 5_000_000_000 });
        const row = await index.insertPending(input);
        expect(row).toEqual({
          id: input.id,
          libraryId: lib.id,
          name: "fog",
          version: 1,
          status: "pending",
          rank: 4,
          alpha: 8,
          targetModules: ["q_proj", "v_proj"],
          moduleShapes: { "layers.0.q_proj": [16, 16] },
          config: input.config,
          objectKey: input.objectKey(1),
          byteSize: 5_000_000_000,
          sha256: input.sha256,
          centroid: Float32Array.from([0.1, -2.5, 1e-7, 3.4e38]),
          sampleCount: 12,
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        });
        expect(row.centroid).toBeInstanceOf(Float32Array);
        expect(await index.getAdapter(lib.tenant, row.id)).toEqual(row);
      });

      it("numbers the versions of one name 1, 2, 3, and other names from 1", async () => {
        const lib = await library();
        const versions = [];
        for (let i = 0; i < 3; i++) versions.push((await index.insertPending(newAdapter(lib.id, "fog", [i, 0, 0, 0]))).version);
        expect(versions).toEqual([1, 2, 3]);
        expect((await index.insertPending(newAdapter(lib.id, "night", [0, 0, 0, 0]))).version).toBe(1);
      });

      it("gives five concurrent uploads of one name the versions 1..5 exactly", async () => {
        const lib = await library();
        const rows = await Promise.all(Array.from({ length: 5 }, (_, i) => index.insertPending(newAdapter(lib.id, "rain", [i, 0, 0, 0]))));
        expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
        expect(new Set(rows.map((r) => r.objectKey)).size).toBe(5);
      });

      it("refuses an unknown library with unknown-library", async () => {
        for (const libraryId of [randomUUID(), "not-a-uuid"]) {
          const error = await rejection(index.insertPending(newAdapter(libraryId, "fog", [0, 0, 0, 0])));
          expect(error.code).toBe("registry.unknown-library");
          expect(error.message).toBe(`library ${libraryId} does not exist`);
        }
      });

      it("refuses a centroid of the wrong dimension, naming both dimensions", async () => {
        const lib = await library({ dimension: 4 });
        const error = await rejection(index.insertPending(newAdapter(lib.id, "fog", [1, 2, 3])));
        expect(error.code).toBe("registry.dimension-mismatch");
        expect(error.message).toBe(`centroid has dimension 3 but library ${lib.id} has dimension 4`);
        expect(error.details).toMatchObject({ expected: 4, actual: 3 });
      });

      it("refuses NaN and ±Infinity with non-finite-centroid, and nothing is stored", async () => {
        const lib = await library();
        const nan = await rejection(index.insertPending(newAdapter(lib.id, "fog", [0, Number.NaN, 0, 0])));
        expect(nan.code).toBe("registry.non-finite-centroid");
        expect(nan.message).toBe("centroid has a non-finite value NaN at index 1");
        const inf = await rejection(index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, -Infinity])));
        expect(inf.code).toBe("registry.non-finite-centroid");
        expect((await index.listAdapters(lib.tenant, { limit: 10 })).items).toEqual([]);
      });

      it("refuses a zero centroid in a cosine library, whose direction is undefined", async () => {
        const lib = await library({ metric: "cosine" });
        const error = await rejection(index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0])));
        expect(error.code).toBe("registry.invalid-centroid");
      });
    });

    describe("activate", () => {
      it("makes the newest version active and supersedes the older ones: nearest sees only it", async () => {
        const lib = await library({ dimension: 2 });
        const v1 = await addActive(index, lib, "fog", [0, 0]);
        const v2 = await addActive(index, lib, "fog", [0.5, 0]);
        const v3 = await addActive(index, lib, "fog", [1, 0]);
        expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
        expect(v3.status).toBe("active");
        const statuses = await Promise.all([v1, v2, v3].map((a) => index.getAdapter(lib.tenant, a.id)));
        expect(statuses.map((a) => a?.status)).toEqual(["superseded", "superseded", "active"]);
        const found = await index.nearest(lib.id, Float32Array.from([0, 0]), { k: 5 });
        expect(found).toEqual([{ id: v3.id, name: "fog", version: 3, distance: 1 }]);
      });

      it("an older upload that finishes last does not displace the newer active version", async () => {
        const lib = await library({ dimension: 2 });
        const p1 = await index.insertPending(newAdapter(lib.id, "fog", [0, 0]));
        const p2 = await index.insertPending(newAdapter(lib.id, "fog", [1, 0]));
        expect((await index.activate(p2.id)).status).toBe("active");
        expect((await index.activate(p1.id)).status).toBe("superseded");
        expect(ids(await index.nearest(lib.id, Float32Array.from([0, 0]), { k: 5 }))).toEqual([p2.id]);
      });

      it("is idempotent, and refuses an unknown adapter with unknown-adapter", async () => {
        const lib = await library();
        const active = await addActive(index, lib, "fog", [0, 0, 0, 0]);
        expect(await index.activate(active.id)).toEqual(active);
        for (const id of [randomUUID(), "nope"]) {
          const error = await rejection(index.activate(id));
          expect(error.code).toBe("registry.unknown-adapter");
        }
      });

      it("joins the adapter's module shapes to the library's, refusing a conflicting shape", async () => {
        const lib = await library();
        await addActive(index, lib, "fog", [0, 0, 0, 0], { moduleShapes: { q: [16, 8] } });
        await addActive(index, lib, "rain", [0, 0, 0, 0], { moduleShapes: { q: [16, 8], v: [4, 4] } });
        expect((await index.getLibrary(lib.tenant, lib.id))?.moduleShapes).toEqual({ q: [16, 8], v: [4, 4] });
        const odd = await index.insertPending(newAdapter(lib.id, "snow", [0, 0, 0, 0], { moduleShapes: { q: [8, 8] } }));
        const error = await rejection(index.activate(odd.id));
        expect(error.code).toBe("registry.module-shape-mismatch");
        expect(error.message).toBe(`adapter ${odd.id} has module q with shape [8, 8] but the library has [16, 8]`);
        expect((await index.getAdapter(lib.tenant, odd.id))?.status).toBe("pending");
        expect((await index.getLibrary(lib.tenant, lib.id))?.moduleShapes).toEqual({ q: [16, 8], v: [4, 4] });
      });
    });

    describe("findBySha256", () => {
      it("finds the active or superseded row of that name with those bytes, never a pending one", async () => {
        const lib = await library();
        const sha = "ab".repeat(32);
        const pending = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0], { sha256: sha }));
        expect(await index.findBySha256(lib.id, "fog", sha)).toBeUndefined();
        await index.activate(pending.id);
        expect((await index.findBySha256(lib.id, "fog", sha))?.id).toBe(pending.id);
        await addActive(index, lib, "fog", [1, 0, 0, 0]);
        expect(await index.findBySha256(lib.id, "fog", sha)).toMatchObject({ id: pending.id, status: "superseded" });
        expect(await index.findBySha256(lib.id, "rain", sha)).toBeUndefined();
        expect(await index.findBySha256("nope", "fog", sha)).toBeUndefined();
      });
    });

    describe("getAdapter and listAdapters", () => {
      it("getAdapter is scoped by tenant", async () => {
        const lib = await library();
        const a = await addActive(index, lib, "fog", [0, 0, 0, 0]);
        expect(await index.getAdapter(lib.tenant, a.id)).toEqual(a);
        expect(await index.getAdapter(uniqueTenant(), a.id)).toBeUndefined();
        expect(await index.getAdapter(lib.tenant, "nope")).toBeUndefined();
      });

      it("pages newest first and returns every row exactly once", async () => {
        const tenant = uniqueTenant();
        const a = await library({ tenant, name: "a" });
        const b = await library({ tenant, name: "b" });
        const made: AdapterRecord[] = [];
        for (let i = 0; i < 4; i++) made.push(await index.activate((await index.insertPending(newAdapter(a.id, `n${i % 2}`, [i, 0, 0, 0]))).id));
        const concurrent = await Promise.all([0, 1, 2].map((i) => index.insertPending(newAdapter(b.id, "m", [i, 0, 0, 0]))));
        for (const row of concurrent) made.push(await index.activate(row.id));
        await addActive(index, await library(), "elsewhere", [0, 0, 0, 0]);

        const seen: AdapterRecord[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await index.listAdapters(tenant, { limit: 3, ...(cursor ? { cursor } : {}) });
          sizes.push(page.items.length);
          seen.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        expect(sizes).toEqual([3, 3, 1]);
        expect(ids(seen).sort()).toEqual(ids(made).sort());
        const order = seen.map((r) => [r.createdAt.getTime(), r.id] as const);
        const newestFirst = [...order].sort((x, y) => y[0] - x[0] || (y[1] > x[1] ? 1 : y[1] < x[1] ? -1 : 0));
        expect(order).toEqual(newestFirst);
        expect((await index.listAdapters(tenant, { limit: 7 })).nextCursor).toBeUndefined();
      });

      it("filters by library, name and status, within the tenant only", async () => {
        const tenant = uniqueTenant();
        const a = await library({ tenant, name: "a" });
        const b = await library({ tenant, name: "b" });
        const fog = await addActive(index, a, "fog", [0, 0, 0, 0]);
        const rain = await index.insertPending(newAdapter(a.id, "rain", [0, 0, 0, 0]));
        const snow = await addActive(index, b, "snow", [0, 0, 0, 0]);
        const list = async (filter: Omit<Parameters<typeof index.listAdapters>[1], "limit">, as = tenant) => ids((await index.listAdapters(as, { limit: 10, ...filter })).items).sort();
        // rain is still pending (its upload unfinished): not an adapter yet, never listed.
        expect(rain.status).toBe("pending");
        expect(await list({ libraryId: a.id })).toEqual([fog.id]);
        expect(await list({ name: "snow" })).toEqual([snow.id]);
        expect(await list({ libraryId: a.id, status: "active" })).toEqual([fog.id]);
        expect(await list({}, uniqueTenant())).toEqual([]);
        expect(await list({ libraryId: a.id }, uniqueTenant())).toEqual([]);
        expect(await list({ libraryId: "nope" })).toEqual([]);
      });

      it("refuses a cursor it did not make", async () => {
        const error = await rejection(index.listAdapters(uniqueTenant(), { limit: 3, cursor: "garbage" }));
        expect(error.code).toBe("registry.invalid-cursor");
      });
    });

    describe("deleteAdapter", () => {
      it("removing the active version makes the newest superseded version active again", async () => {
        const lib = await library({ dimension: 2 });
        const v1 = await addActive(index, lib, "fog", [3, 0]);
        const v2 = await addActive(index, lib, "fog", [2, 0]);
        const v3 = await addActive(index, lib, "fog", [1, 0]);
        const removed = await index.deleteAdapter(v3.id);
        expect(removed).toMatchObject({ id: v3.id, status: "active", objectKey: v3.objectKey });
        expect(await index.getAdapter(lib.tenant, v3.id)).toBeUndefined();
        expect((await index.getAdapter(lib.tenant, v2.id))?.status).toBe("active");
        expect((await index.getAdapter(lib.tenant, v1.id))?.status).toBe("superseded");
        expect(await index.nearest(lib.id, Float32Array.from([0, 0]), { k: 3 })).toEqual([{ id: v2.id, name: "fog", version: 2, distance: 2 }]);
      });

      it("removing a superseded or pending version changes nothing else", async () => {
        const lib = await library();
        const v1 = await addActive(index, lib, "fog", [0, 0, 0, 0]);
        const v2 = await addActive(index, lib, "fog", [0, 0, 0, 0]);
        const v3 = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0]));
        expect((await index.deleteAdapter(v1.id))?.status).toBe("superseded");
        expect((await index.deleteAdapter(v3.id))?.status).toBe("pending");
        expect((await index.getAdapter(lib.tenant, v2.id))?.status).toBe("active");
      });

      it("returns undefined for an unknown id", async () => {
        expect(await index.deleteAdapter(randomUUID())).toBeUndefined();
        expect(await index.deleteAdapter("nope")).toBeUndefined();
      });
    });

    describe("stalePending and referencesObject", () => {
      it("stalePending lists pending rows last updated before the given time", async () => {
        const lib = await library();
        const pending = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0]));
        const done = await addActive(index, lib, "rain", [0, 0, 0, 0]);
        const stale = async (before: Date) => ids(await index.stalePending(before)).filter((id) => [pending.id, done.id].includes(id));
        expect(await stale(pending.updatedAt)).toEqual([]);
        expect(await stale(new Date(pending.updatedAt.getTime() + 1))).toEqual([pending.id]);
        expect(await stale(new Date(Date.now() + 60_000))).toEqual([pending.id]);
      });

      it("referencesObject is true while any row has the key", async () => {
        const lib = await library();
        const pending = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0]));
        expect(await index.referencesObject(pending.objectKey)).toBe(true);
        await index.deleteAdapter(pending.id);
        expect(await index.referencesObject(pending.objectKey)).toBe(false);
      });
    });

    describe("api keys", () => {
      it("store only the key's sha256, authenticate to the key's tenant, and stop at revocation", async () => {
        const keys = createApiKeyStore(index.db);
        const tenant = uniqueTenant();
        const { key, record } = await keys.create(tenant, "ci");
        expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
        const stored = await db.query(`SELECT key_hash FROM api_keys WHERE id = '${record.id}'`);
        expect(stored).toEqual([{ key_hash: hashApiKey(key) }]);
        expect((await keys.authenticate(key))?.tenant).toBe(tenant);
        expect(await keys.authenticate(`${key}x`)).toBeUndefined();
        expect(await keys.revoke(uniqueTenant(), record.id)).toBeUndefined();
        const revoked = await keys.revoke(tenant, record.id);
        expect(revoked).toMatchObject({ id: record.id, tenant, name: "ci", revokedAt: expect.any(Date) });
        expect(await keys.authenticate(key)).toBeUndefined();
      });

      it("list a tenant's keys (or every tenant's) oldest first, revoked ones with their time, never a hash", async () => {
        const keys = createApiKeyStore(index.db);
        const [a, b] = [uniqueTenant(), uniqueTenant()];
        const first = await keys.create(a, "first");
        const second = await keys.create(a, "second");
        const other = await keys.create(b, "other");
        await keys.authenticate(second.key);
        await keys.revoke(a, first.record.id);
        const listed = await keys.list(a);
        // Oldest first; keys made within one millisecond (created_at's precision) tie, then by id.
        expect(listed.map((k) => [k.id, k.tenant, k.name]).sort()).toEqual(
          [
            [first.record.id, a, "first"],
            [second.record.id, a, "second"],
          ].sort(),
        );
        expect(listed[0]!.createdAt.getTime()).toBeLessThanOrEqual(listed[1]!.createdAt.getTime());
        expect(listed.find((k) => k.id === first.record.id)!.revokedAt).toBeInstanceOf(Date);
        expect(listed.find((k) => k.id === second.record.id)).toMatchObject({ revokedAt: null, lastUsedAt: expect.any(Date) });
        expect(Object.keys(listed[0]!).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "revokedAt", "tenant"]);
        const all = (await keys.list()).map((k) => k.id);
        expect(all).toEqual(expect.arrayContaining([first.record.id, second.record.id, other.record.id]));
      });

      it("revoke by id for an operator (any tenant), idempotently: a second revoke returns the first revocation; an unknown or malformed id is undefined", async () => {
        const keys = createApiKeyStore(index.db);
        const tenant = uniqueTenant();
        const { key, record } = await keys.create(tenant, "ops");
        const revoked = await keys.revoke(undefined, record.id);
        expect(revoked).toMatchObject({ id: record.id, tenant, revokedAt: expect.any(Date) });
        expect(await keys.authenticate(key)).toBeUndefined();
        expect((await keys.revoke(undefined, record.id))?.revokedAt).toEqual(revoked!.revokedAt);
        expect(await keys.revoke(undefined, "6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f")).toBeUndefined();
        expect(await keys.revoke(undefined, "not-a-uuid")).toBeUndefined();
      });

      it("record a key made elsewhere by its hash, once: the key then authenticates", async () => {
        const keys = createApiKeyStore(index.db);
        const tenant = uniqueTenant();
        const key = `${API_KEY_PREFIX}${"k".repeat(43)}-${tenant}`;
        expect(await keys.recordHash(tenant, "bootstrap", hashApiKey(key))).toBe(true);
        expect(await keys.recordHash(tenant, "bootstrap", hashApiKey(key))).toBe(false);
        expect(await keys.authenticate(key)).toMatchObject({ tenant, name: "bootstrap" });
        await expect(keys.recordHash(tenant, "bootstrap", key)).rejects.toThrow(RangeError);
      });
    });

    describe("contributions", () => {
      it("aggregate per adapter of the tenant's library, most weight first; other tenants see nothing", async () => {
        const store = createContributionStore(index.db);
        const lib = await library();
        const a = await addActive(index, lib, "a", [0, 0, 0, 1]);
        const b = await addActive(index, lib, "b", [0, 0, 1, 0]);
        await store.record(lib.id, "r1", [
          { adapterId: a.id, rank: 1, weight: 0.75, distance: 0.5 },
          { adapterId: b.id, rank: 2, weight: 0.25, distance: 1 },
        ]);
        await store.record(lib.id, "r2", [{ adapterId: b.id, rank: 1, weight: 1, distance: 0 }]);
        const stats = await store.stats(lib.tenant, lib.id);
        expect(stats?.requests).toBe(2);
        expect(stats?.adapters.map(({ lastUsedAt, ...rest }) => rest)).toEqual([
          { adapterId: b.id, name: "b", version: 1, uses: 2, totalWeight: 1.25, meanWeight: 0.625, maxWeight: 1, topRank: 1 },
          { adapterId: a.id, name: "a", version: 1, uses: 1, totalWeight: 0.75, meanWeight: 0.75, maxWeight: 0.75, topRank: 1 },
        ]);
        expect(await store.stats(uniqueTenant(), lib.id)).toBeUndefined();
        expect((await store.stats(lib.tenant, lib.id, { since: new Date(Date.now() + 60_000) }))?.adapters).toEqual([]);
        // Deleting an adapter takes its history with it.
        await index.deleteAdapter(a.id);
        expect((await store.stats(lib.tenant, lib.id))?.adapters.map((s) => s.name)).toEqual(["b"]);
      });
    });

    describe("text PostgreSQL cannot store (NUL, lone surrogates)", () => {
      const refusal = async (promise: Promise<unknown>) => {
        const error = await rejection(promise);
        return [error.code, error.kind, error.details.field];
      };

      it("is refused with registry.invalid-text naming the field, before any query: nothing is stored", async () => {
        const tenant = uniqueTenant();
        expect(await refusal(index.createLibrary(newLibrary({ tenant, name: "al\u0000ps" })))).toEqual(["registry.invalid-text", "invalid", "name"]);
        expect(await refusal(index.createLibrary(newLibrary({ tenant, baseModelId: "b\ud800" })))).toEqual(["registry.invalid-text", "invalid", "baseModelId"]);
        expect(await refusal(index.createLibrary(newLibrary({ tenant, embeddingModelId: "\udc00e" })))).toEqual(["registry.invalid-text", "invalid", "embeddingModelId"]);
        expect(await refusal(index.createLibrary(newLibrary({ tenant: "t\u0000" })))).toEqual(["registry.invalid-text", "invalid", "tenant"]);
        expect(await index.listLibraries(tenant)).toEqual([]);

        const lib = await library({ tenant });
        expect(await refusal(index.insertPending(newAdapter(lib.id, "fog\u0000", [0, 0, 0, 1])))).toEqual(["registry.invalid-text", "invalid", "name"]);
        const config = { ...CONFIG, task_type: "SEG\u0000", layers: [{ "ke\ud83dy": 1 }] };
        expect(await refusal(index.insertPending({ ...newAdapter(lib.id, "fog", [0, 0, 0, 1]), config: { ...config, layers: [] } }))).toEqual(["registry.invalid-text", "invalid", "config.task_type"]);
        expect(await refusal(index.insertPending({ ...newAdapter(lib.id, "fog", [0, 0, 0, 1]), config: { ...config, task_type: null } }))).toEqual([
          "registry.invalid-text",
          "invalid",
          "config.layers.0.ke\ud83dy",
        ]);
        expect((await index.listAdapters(tenant, { limit: 10 })).items).toEqual([]);

        expect(await refusal(index.findBySha256(lib.id, "fog\u0000", "0".repeat(64)))).toEqual(["registry.invalid-text", "invalid", "name"]);
        expect(await refusal(index.listAdapters(tenant, { name: "\u0000", limit: 10 }))).toEqual(["registry.invalid-text", "invalid", "name"]);
        expect(await refusal(index.nearest(lib.id, Float32Array.of(0, 0, 0, 1), { k: 1, exclude: ["a", "b\u0000"] }))).toEqual(["registry.invalid-text", "invalid", "exclude.1"]);
        const keys = createApiKeyStore(index.db);
        expect(await refusal(keys.create(tenant, "c\u0000i"))).toEqual(["registry.invalid-text", "invalid", "name"]);
        expect(await refusal(keys.revoke(tenant, "\u0000"))).toEqual(["registry.invalid-text", "invalid", "id"]);
        expect(await keys.list(tenant)).toEqual([]);
        expect(await refusal(createContributionStore(index.db).record(lib.id, "r\u0000", [{ adapterId: lib.id, rank: 1, weight: 1, distance: 0 }]))).toEqual([
          "registry.invalid-text",
          "invalid",
          "requestId",
        ]);
      });

      it("well-formed text outside the BMP (a surrogate pair) is stored and found as given", async () => {
        const lib = await library({ name: "alps 🏔" });
        expect((await index.getLibrary(lib.tenant, lib.id))?.name).toBe("alps 🏔");
        const added = await addActive(index, lib, "fog-🌫", [0, 0, 0, 1]);
        expect((await index.listAdapters(lib.tenant, { name: "fog-🌫", limit: 10 })).items.map((a) => a.id)).toEqual([added.id]);
      });
    });

    describe("nearest", () => {
      const q = (...v: number[]) => Float32Array.from(v);

      it("returns euclidean distances exactly: 3, 5 (3-4-5) and 7 in a 4-d library", async () => {
        const lib = await library({ dimension: 4, metric: "euclidean" });
        const five = await addActive(index, lib, "five", [3, 4, 0, 0]);
        const three = await addActive(index, lib, "three", [1, 2, 2, 0]);
        const seven = await addActive(index, lib, "seven", [2, 3, 0, 6]);
        for (const exact of [false, true]) {
          expect(await index.nearest(lib.id, q(0, 0, 0, 0), { k: 3, exact })).toEqual([
            { id: three.id, name: "three", version: 1, distance: 3 },
            { id: five.id, name: "five", version: 1, distance: 5 },
            { id: seven.id, name: "seven", version: 1, distance: 7 },
          ]);
        }
        const [near] = await index.nearest(lib.id, q(1, 1, 0, 0), { k: 1 });
        expect(near?.distance).toBeCloseTo(routing.euclideanDistance([1, 1, 0, 0], [1, 2, 2, 0]), 6);
      });

      it("returns cosine distances 1 − cos: 0 same direction, 1 − 1/√2 at 45°, 1 orthogonal, 2 opposite", async () => {
        const lib = await library({ dimension: 3, metric: "cosine" });
        const same = await addActive(index, lib, "same", [2, 0, 0]);
        const diagonal = await addActive(index, lib, "diagonal", [1, 1, 0]);
        const orthogonal = await addActive(index, lib, "orthogonal", [0, 3, 0]);
        const opposite = await addActive(index, lib, "opposite", [-1, 0, 0]);
        for (const exact of [false, true]) {
          const found = await index.nearest(lib.id, q(1, 0, 0), { k: 4, exact });
          expect(ids(found)).toEqual([same.id, diagonal.id, orthogonal.id, opposite.id]);
          const expected = [0, 1 - 1 / Math.SQRT2, 1, 2];
          found.forEach((n, i) => {
            expect(n.distance).toBeCloseTo(expected[i] as number, 12);
          });
        }
        const [near] = await index.nearest(lib.id, q(1, 2, 2), { k: 1 });
        expect(near?.distance).toBeCloseTo(routing.cosineDistance([1, 2, 2], [1, 1, 0]), 6);
      });

      it("never returns pending rows", async () => {
        const lib = await library({ dimension: 2 });
        await index.insertPending(newAdapter(lib.id, "close", [0, 0]));
        expect(await index.nearest(lib.id, q(0, 0), { k: 3 })).toEqual([]);
        const far = await addActive(index, lib, "far", [9, 0]);
        await index.insertPending(newAdapter(lib.id, "far", [0, 0]));
        expect(ids(await index.nearest(lib.id, q(0, 0), { k: 3 }))).toEqual([far.id]);
      });

      it("leaves out excluded ids and names, and the next nearest takes their place", async () => {
        const lib = await library({ dimension: 2 });
        const a = await addActive(index, lib, "a", [1, 0]);
        const b = await addActive(index, lib, "b", [2, 0]);
        const c = await addActive(index, lib, "c", [3, 0]);
        for (const exact of [false, true]) {
          const near = async (exclude: string[]) => ids(await index.nearest(lib.id, q(0, 0), { k: 2, exclude, exact }));
          expect(await near([])).toEqual([a.id, b.id]);
          expect(await near([a.id])).toEqual([b.id, c.id]);
          expect(await near(["b"])).toEqual([a.id, c.id]);
          expect(await near([a.id.toUpperCase(), "b"])).toEqual([c.id]);
          expect(await near(["unknown", randomUUID()])).toEqual([a.id, b.id]);
        }
      });

      it("returns the whole library, nearest first, when k exceeds its size", async () => {
        const lib = await library({ dimension: 2 });
        const far = await addActive(index, lib, "far", [0, 3]);
        const near = await addActive(index, lib, "near", [0, 1]);
        const mid = await addActive(index, lib, "mid", [0, 2]);
        expect(await index.nearest(lib.id, q(0, 0), { k: 10 })).toEqual([
          { id: near.id, name: "near", version: 1, distance: 1 },
          { id: mid.id, name: "mid", version: 1, distance: 2 },
          { id: far.id, name: "far", version: 1, distance: 3 },
        ]);
      });

      it("breaks distance ties by id, also at the k-th place", async () => {
        const lib = await library({ dimension: 2 });
        const nearest = await addActive(index, lib, "nearest", [0.5, 0]);
        const tied = await Promise.all(["t1", "t2", "t3", "t4"].map((name) => addActive(index, lib, name, [0, 1])));
        const byId = ids(tied).sort();
        for (const exact of [false, true]) {
          expect(ids(await index.nearest(lib.id, q(0, 0), { k: 3, exact }))).toEqual([nearest.id, ...byId.slice(0, 2)]);
          expect(ids(await index.nearest(lib.id, q(0, 0), { k: 5, exact }))).toEqual([nearest.id, ...byId]);
        }
      });

      it("keeps libraries of different dimensions (3 and 5) apart", async () => {
        const tenant = uniqueTenant();
        const three = await library({ tenant, name: "three", dimension: 3 });
        const five = await library({ tenant, name: "five", dimension: 5 });
        const a = await addActive(index, three, "a", [1, 0, 0]);
        const b = await addActive(index, five, "b", [0, 0, 0, 0, 2]);
        expect(await index.nearest(three.id, q(0, 0, 0), { k: 5 })).toEqual([{ id: a.id, name: "a", version: 1, distance: 1 }]);
        expect(await index.nearest(five.id, q(0, 0, 0, 0, 0), { k: 5 })).toEqual([{ id: b.id, name: "b", version: 1, distance: 2 }]);
        const error = await rejection(index.nearest(three.id, q(0, 0, 0, 0, 0), { k: 1 }));
        expect(error.code).toBe("registry.dimension-mismatch");
        expect(error.message).toBe(`query has dimension 5 but library ${three.id} has dimension 3`);
        expect((await rejection(index.insertPending(newAdapter(five.id, "c", [1, 2, 3])))).code).toBe("registry.dimension-mismatch");
      });

      it("refuses an unknown library, a non-finite query and k < 1", async () => {
        const lib = await library({ dimension: 2 });
        expect((await rejection(index.nearest(randomUUID(), q(0, 0), { k: 1 }))).code).toBe("registry.unknown-library");
        expect((await rejection(index.nearest(lib.id, q(Number.NaN, 0), { k: 1 }))).code).toBe("registry.non-finite-centroid");
        expect((await rejection(index.nearest(lib.id, q(0, 0), { k: 0 }))).code).toBe("routing.invalid-options");
      });
    });

    describe("HNSW on 2,000 centroids in 40 clusters of 32-d", () => {
      let lib: LibraryRecord;
      let centres: Float32Array[];
      let stored: Map<string, Float32Array>;
      const random = createPrng(7, "registry-recall");
      /** A query from the domain of cluster i: its centre, moved a little. */
      const probe = (i: number) => near(random, centres[i % centres.length] as Float32Array, 0.1);

      beforeAll(async () => {
        lib = await library({ dimension: 32 });
        const data = clusteredPoints(random, { count: 2000, dimension: 32, groups: 40, spread: 0.15 });
        centres = data.centres;
        const rows = data.points.map((p, i) => {
          const id = randomUUID();
          return `('${id}', '${lib.id}', 'c${i}', 1, 'active', 4, 8, '["q"]', '{}', '{}', 'bulk/${id}', 1, '${"0".repeat(64)}', '${toVectorLiteral(p)}')`;
        });
        // One statement: the HNSW index is built as the rows go in, as with uploads one by one.
        await db.query(
          `INSERT INTO adapters (id, library_id, name, version, status, rank, alpha, target_modules, module_shapes, config, object_key, byte_size, sha256, centroid) VALUES ${rows.join(",")}`,
        );
        await db.query("ANALYZE adapters");
        const back = await db.query(`SELECT id, centroid::text AS c FROM adapters WHERE library_id = '${lib.id}'`);
        stored = new Map(back.map((r) => [String(r.id), Float32Array.from(JSON.parse(String(r.c)) as number[])]));
      }, 120_000);

      it("the search query matches the library's HNSW index, also with exclusions; exact does not", async () => {
        // 2,000 32-d rows are small enough that at the default ef_search (100) the planner rightly
        // prefers an exact scan; at pgvector's default 40 the index is cheaper, which shows the query's
        // expression and predicate match the partial index (bench/registry.bench.ts covers 768-d).
        const indexScan = `Index Scan using ${hnswIndexName(lib.id)} on adapters`;
        expect(await index.explainNearest(lib.id, probe(0), { k: 5, efSearch: 40 })).toContain(indexScan);
        expect(await index.explainNearest(lib.id, probe(1), { k: 5, efSearch: 40, exclude: ["c1", randomUUID()] })).toContain(indexScan);
        const exact = await index.explainNearest(lib.id, probe(2), { k: 5, exact: true });
        expect(exact).not.toContain(hnswIndexName(lib.id));
        expect(exact).toContain("Seq Scan on adapters");
      });

      it("HNSW top-5 equals the exact top-5 for 20 queries, and exact equals brute force", async () => {
        // ef_search 64: approximate search may miss (≈1 in 5,000 queries here at 40, the default), and
        // a test must not; at 64 no miss was seen. Recall at the default is measured by npm run bench.
        for (let i = 0; i < 20; i++) {
          const query = probe(i * 2);
          const approx = await index.nearest(lib.id, query, { k: 5, efSearch: 64 });
          const exact = await index.nearest(lib.id, query, { k: 5, exact: true });
          expect(ids(approx)).toEqual(ids(exact));
          const brute = [...stored]
            .map(([id, c]) => ({ id, distance: routing.euclideanDistance(query, c) }))
            .sort(routing.compareNeighbors)
            .slice(0, 5);
          expect(ids(exact)).toEqual(ids(brute));
          exact.forEach((n, i) => {
            expect(n.distance).toBeCloseTo(brute[i]?.distance ?? Number.NaN, 4);
          });
        }
      });

      it("with 20 exclusions the iterative scan still returns k = 20 rows, the next 20 in order", async () => {
        const query = probe(3);
        const first = ids(await index.nearest(lib.id, query, { k: 20 }));
        const rest = ids(await index.nearest(lib.id, query, { k: 20, exclude: first }));
        expect(rest).toHaveLength(20);
        expect(rest.filter((id) => first.includes(id))).toEqual([]);
        expect(rest).toEqual(ids(await index.nearest(lib.id, query, { k: 40, exact: true })).slice(20));
      });
    });
  });
}

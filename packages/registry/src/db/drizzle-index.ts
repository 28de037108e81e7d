import { LIMITS } from "@semla/core";
import { and, desc, eq, getTableColumns, gt, inArray, lt, ne, type SQL, sql } from "drizzle-orm";
import { RegistryError } from "../errors.js";
import type { AdapterIndex, AdapterPage, AdapterRecord, AdapterStatus, LibraryChanges, LibraryRecord, NearestAdapter, NearestQuery, NewAdapter, NewLibrary } from "./adapter-index.js";
import { assertCentroid } from "./centroid.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import type { RegistryDatabase } from "./database.js";
import { hnswIndexName, type IndexedLibrary, syncHnswIndex } from "./hnsw.js";
import { isUuid } from "./ids.js";
import { mergeModuleShapes, sameModuleShapes } from "./module-shapes.js";
import { assertK, explainNearest, nearestAdapters } from "./nearest.js";
import { guardOutages, outageClassifierOf } from "./outage.js";
import { unknownLibrary } from "./require-library.js";
import { adapters, libraries } from "./schema.js";
import { storableJson, storableText } from "./text.js";

/** The driver-specific factories return this: the index, plus a look at its query plans. */
export interface DrizzleAdapterIndex extends AdapterIndex {
  /** EXPLAIN of the query `nearest` runs, under the same settings (tests check HNSW use). */
  explainNearest(libraryId: string, query: Float32Array, options: NearestQuery): Promise<string>;
  /**
   * Creates or drops the library's HNSW index for its number of active adapters (hnsw.ts), as
   * activate and deleteAdapter do; for rows that arrived another way (bulk loads, migrations).
   */
  syncSearchIndex(libraryId: string): Promise<"create" | "drop" | undefined>;
  /** The database itself, for the stores that share it (API keys, contributions). */
  readonly db: RegistryDatabase;
}

const MAX_DIMENSION = LIMITS.dimension;

function unknownAdapter(adapterId: string): RegistryError {
  return new RegistryError("unknown-adapter", `adapter ${adapterId} does not exist`, { adapterId });
}

/**
 * The registry on any drizzle PostgreSQL database; pg-index.ts and pglite-index.ts only connect
 * (and say which of their errors are outages: those become `registry.unavailable`).
 */
export function createDrizzleAdapterIndex(db: RegistryDatabase, close: () => Promise<void>): DrizzleAdapterIndex {
  async function findLibrary(tx: RegistryDatabase, id: string, lock: boolean): Promise<LibraryRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const query = tx.select().from(libraries).where(eq(libraries.id, id));
    const [row] = lock ? await query.for("update") : await query;
    return row;
  }

  /**
   * Every change to a library's adapters holds the library row's lock, so version numbers,
   * activations and deletions of one library happen one at a time.
   */
  async function lockAdapter(tx: RegistryDatabase, id: string): Promise<{ library: LibraryRecord; adapter: AdapterRecord } | undefined> {
    if (!isUuid(id)) return undefined;
    const [found] = await tx.select({ libraryId: adapters.libraryId }).from(adapters).where(eq(adapters.id, id));
    if (!found) return undefined;
    const library = await findLibrary(tx, found.libraryId, true);
    const [adapter] = await tx.select().from(adapters).where(eq(adapters.id, id)).for("update");
    return library && adapter ? { library, adapter } : undefined;
  }

  /** The library's active adapters changed (under its row lock): what was computed from them is stale. */
  async function bumpGeneration(tx: RegistryDatabase, libraryId: string): Promise<void> {
    await tx
      .update(libraries)
      .set({ generation: sql`${libraries.generation} + 1` })
      .where(eq(libraries.id, libraryId));
  }

  function ofTenant(tenant: string): SQL {
    return sql`${adapters.libraryId} IN (SELECT ${libraries.id} FROM ${libraries} WHERE ${libraries.tenant} = ${tenant})`;
  }

  /**
   * What a search needs of a library (id, dimension, metric) never changes after creation, so it is
   * looked up once per process: a k-NN query then costs one transaction and no extra round trip.
   */
  const searchableLibraries = new Map<string, IndexedLibrary>();
  async function searchable(libraryId: string): Promise<IndexedLibrary> {
    const known = searchableLibraries.get(libraryId);
    if (known) return known;
    const library = await findLibrary(db, libraryId, false);
    if (!library) throw unknownLibrary(libraryId);
    const entry = { id: library.id, dimension: library.dimension, metric: library.metric };
    searchableLibraries.set(libraryId, entry);
    return entry;
  }

  const index: DrizzleAdapterIndex = {
    db,
    async createLibrary(input: NewLibrary): Promise<LibraryRecord> {
      for (const field of ["tenant", "name", "baseModelId", "embeddingModelId"] as const) storableText(field, input[field]);
      if (!Number.isSafeInteger(input.dimension) || input.dimension < 1 || input.dimension > MAX_DIMENSION) {
        throw new RegistryError("invalid-dimension", `dimension must be an integer from 1 to ${MAX_DIMENSION}, got ${String(input.dimension)}`, { dimension: input.dimension });
      }
      // No search index yet: a library is scanned exactly until it is large (hnsw.ts).
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(libraries)
          .values({ ...input, moduleShapes: {} })
          .onConflictDoNothing({ target: [libraries.tenant, libraries.name] })
          .returning();
        if (!row) {
          throw new RegistryError("library-exists", `library ${JSON.stringify(input.name)} already exists`, {
            tenant: input.tenant,
            name: input.name,
          });
        }
        return row;
      });
    },

    async getLibrary(tenant, id) {
      const library = await findLibrary(db, id, false);
      return library?.tenant === tenant ? library : undefined;
    },

    async listLibraries(tenant) {
      storableText("tenant", tenant);
      return db.select().from(libraries).where(eq(libraries.tenant, tenant)).orderBy(libraries.createdAt, libraries.id);
    },

    async updateLibrary(tenant: string, id: string, changes: LibraryChanges): Promise<LibraryRecord> {
      const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as LibraryChanges;
      for (const [field, value] of Object.entries(set)) storableText(field, value as string);
      return db.transaction(async (tx) => {
        const library = await findLibrary(tx, id, true);
        if (!library || library.tenant !== tenant) throw unknownLibrary(id);
        const models = (["baseModelId", "embeddingModelId"] as const).filter((field) => set[field] !== undefined && set[field] !== library[field]);
        if (models.length > 0) {
          const [held] = await tx
            .select({ n: sql<number>`count(*)`.mapWith(Number) })
            .from(adapters)
            .where(eq(adapters.libraryId, library.id));
          if ((held?.n ?? 0) > 0) {
            throw new RegistryError(
              "library-not-empty",
              `library ${JSON.stringify(library.name)} holds ${held?.n} adapters made for its ${models.join(" and ")}: remove them first, or create a new library`,
              { libraryId: library.id, adapters: held?.n, fields: models },
            );
          }
        }
        if (set.name !== undefined && set.name !== library.name) {
          const [taken] = await tx
            .select({ id: libraries.id })
            .from(libraries)
            .where(and(eq(libraries.tenant, tenant), eq(libraries.name, set.name)));
          if (taken) throw new RegistryError("library-exists", `library ${JSON.stringify(set.name)} already exists`, { tenant, name: set.name });
        }
        if (Object.keys(set).length === 0) return library;
        const [row] = await tx.update(libraries).set(set).where(eq(libraries.id, library.id)).returning();
        if (!row) throw unknownLibrary(id);
        return row;
      });
    },

    async deleteLibrary(tenant, id, options) {
      const removed = await db.transaction(async (tx) => {
        const library = await findLibrary(tx, id, true);
        if (!library || library.tenant !== tenant) throw unknownLibrary(id);
        const held = await tx.select({ objectKey: adapters.objectKey }).from(adapters).where(eq(adapters.libraryId, library.id));
        if (held.length > 0 && !options.cascade) {
          throw new RegistryError("library-not-empty", `library ${JSON.stringify(library.name)} holds ${held.length} adapters: remove them first, or remove it with them (cascade)`, {
            libraryId: library.id,
            adapters: held.length,
          });
        }
        // Its adapters (and their contributions) go by the foreign keys' ON DELETE CASCADE.
        await tx.execute(sql.raw(`DROP INDEX IF EXISTS "${hnswIndexName(library.id)}"`));
        await tx.delete(libraries).where(eq(libraries.id, library.id));
        return { library, objectKeys: held.map((row) => row.objectKey) };
      });
      searchableLibraries.delete(removed.library.id);
      return removed;
    },

    async insertPending(input: NewAdapter): Promise<AdapterRecord> {
      if (!isUuid(input.id)) throw new Error(`invalid adapter id ${JSON.stringify(input.id)}: ids are uuids`);
      storableText("name", input.name);
      storableJson("config", input.config);
      return db.transaction(async (tx) => {
        const library = await findLibrary(tx, input.libraryId, true);
        if (!library) throw unknownLibrary(input.libraryId);
        assertCentroid(input.centroid, library, "centroid");
        const [latest] = await tx
          .select({ version: sql<number>`coalesce(max(${adapters.version}), 0)`.mapWith(Number) })
          .from(adapters)
          .where(and(eq(adapters.libraryId, library.id), eq(adapters.name, input.name)));
        const version = (latest?.version ?? 0) + 1;
        const [row] = await tx
          .insert(adapters)
          .values({ ...input, libraryId: library.id, version, status: "pending", objectKey: input.objectKey(version) })
          .returning();
        if (!row) throw new Error("insert returned no row");
        return row;
      });
    },

    async activate(id: string): Promise<AdapterRecord> {
      return db.transaction(async (tx) => {
        const locked = await lockAdapter(tx, id);
        if (!locked) throw unknownAdapter(id);
        const { library, adapter } = locked;
        // Already activated (or since overtaken): activation is idempotent.
        if (adapter.status !== "pending") return adapter;
        const sameName = and(eq(adapters.libraryId, library.id), eq(adapters.name, adapter.name));
        const [newer] = await tx
          .select({ id: adapters.id })
          .from(adapters)
          .where(and(sameName, eq(adapters.status, "active"), gt(adapters.version, adapter.version)));
        // An upload that finishes after a newer version's keeps the newer one in retrieval.
        const status: AdapterStatus = newer ? "superseded" : "active";
        if (status === "active") {
          await tx
            .update(adapters)
            .set({ status: "superseded", updatedAt: sql`now()` })
            .where(and(sameName, eq(adapters.status, "active")));
        }
        const shapes = mergeModuleShapes(library.moduleShapes, adapter.moduleShapes, adapter.id);
        if (!sameModuleShapes(shapes, library.moduleShapes)) {
          await tx.update(libraries).set({ moduleShapes: shapes }).where(eq(libraries.id, library.id));
        }
        const [row] = await tx.update(adapters).set({ status, updatedAt: sql`now()` }).where(eq(adapters.id, adapter.id)).returning();
        if (!row) throw unknownAdapter(id);
        if (status === "active") await bumpGeneration(tx, library.id);
        if (status === "active") await syncHnswIndex(tx, library);
        return row;
      });
    },

    async findBySha256(libraryId, name, sha256) {
      if (!isUuid(libraryId)) return undefined;
      storableText("name", name);
      storableText("sha256", sha256);
      const [row] = await db
        .select()
        .from(adapters)
        .where(and(eq(adapters.libraryId, libraryId), eq(adapters.name, name), eq(adapters.sha256, sha256), inArray(adapters.status, ["active", "superseded"])))
        .orderBy(desc(adapters.version))
        .limit(1);
      return row;
    },

    async getAdapter(tenant, id) {
      if (!isUuid(id)) return undefined;
      storableText("tenant", tenant);
      const [row] = await db
        .select(getTableColumns(adapters))
        .from(adapters)
        .where(and(eq(adapters.id, id), ofTenant(tenant)));
      return row;
    },

    async listAdapters(tenant, filter): Promise<AdapterPage> {
      const { limit } = filter;
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new RegistryError("invalid-limit", `limit must be an integer >= 1, got ${String(limit)}`, {
          limit: String(limit),
        });
      }
      storableText("tenant", tenant);
      storableText("name", filter.name);
      if (filter.libraryId !== undefined && !isUuid(filter.libraryId)) return { items: [], nextCursor: undefined };
      const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
      const rows = await db
        .select()
        .from(adapters)
        .where(
          and(
            ofTenant(tenant),
            ne(adapters.status, "pending"),
            filter.libraryId === undefined ? undefined : eq(adapters.libraryId, filter.libraryId),
            filter.name === undefined ? undefined : eq(adapters.name, filter.name),
            filter.status === undefined ? undefined : eq(adapters.status, filter.status),
            after && sql`(${adapters.createdAt}, ${adapters.id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`,
          ),
        )
        .orderBy(desc(adapters.createdAt), desc(adapters.id))
        .limit(limit + 1);
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : undefined };
    },

    async deleteAdapter(id) {
      return db.transaction(async (tx) => {
        const locked = await lockAdapter(tx, id);
        if (!locked) return undefined;
        const { adapter } = locked;
        const [removed] = await tx.delete(adapters).where(eq(adapters.id, adapter.id)).returning();
        if (removed?.status === "active") {
          const [previous] = await tx
            .select({ id: adapters.id })
            .from(adapters)
            .where(and(eq(adapters.libraryId, adapter.libraryId), eq(adapters.name, adapter.name), eq(adapters.status, "superseded")))
            .orderBy(desc(adapters.version))
            .limit(1);
          if (previous) {
            await tx.update(adapters).set({ status: "active", updatedAt: sql`now()` }).where(eq(adapters.id, previous.id));
          }
          await bumpGeneration(tx, adapter.libraryId);
          await syncHnswIndex(tx, locked.library);
        }
        return removed;
      });
    },

    async nearest(libraryId, query, options): Promise<NearestAdapter[]> {
      assertK(options.k);
      options.exclude?.forEach((entry, i) => {
        storableText(`exclude.${i}`, entry);
      });
      const library = await searchable(libraryId);
      assertCentroid(query, library, "query");
      return nearestAdapters(db, library, query, options);
    },

    async explainNearest(libraryId, query, options) {
      assertK(options.k);
      options.exclude?.forEach((entry, i) => {
        storableText(`exclude.${i}`, entry);
      });
      const library = await searchable(libraryId);
      assertCentroid(query, library, "query");
      return explainNearest(db, library, query, options);
    },

    async setCalibration(libraryId, calibration) {
      if (!isUuid(libraryId)) return false;
      const stored = await db
        .update(libraries)
        .set({ calibration })
        .where(and(eq(libraries.id, libraryId), eq(libraries.generation, calibration.generation)))
        .returning({ id: libraries.id });
      return stored.length > 0;
    },

    async syncSearchIndex(libraryId) {
      return db.transaction(async (tx) => {
        const library = await findLibrary(tx, libraryId, true);
        if (!library) throw unknownLibrary(libraryId);
        return syncHnswIndex(tx, library);
      });
    },

    async stalePending(before) {
      return db
        .select()
        .from(adapters)
        .where(and(eq(adapters.status, "pending"), lt(adapters.updatedAt, before)))
        .orderBy(adapters.updatedAt, adapters.id);
    },

    async referencesObject(objectKey) {
      const [row] = await db.select({ id: adapters.id }).from(adapters).where(eq(adapters.objectKey, objectKey)).limit(1);
      return row !== undefined;
    },

    close,
  };
  return guardOutages(index, outageClassifierOf(db));
}

import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { DrizzleAdapterIndex } from "../db/drizzle-index.js";
import { MIGRATIONS_FOLDER } from "../db/migrate.js";
import { createPgliteAdapterIndex, openPglite } from "../db/pglite-index.js";

/**
 * A fresh, migrated PGlite for tests that need a database but do not test opening one. PGlite's
 * initdb runs in WebAssembly and takes seconds on a small machine (most of a quick test file's
 * time); it runs here once per migration history and PGlite version, and every later open loads
 * that data directory's dump from .cache/pglite/ (a fraction of a second). The driver's own tests
 * (pglite-index.test.ts) still open PGlite the production way.
 */
const CACHE = fileURLToPath(new URL("../../../../.cache/pglite/", import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL("../../package.json", import.meta.url));

/** Names the dump by what it depends on: the migrations and the pinned PGlite packages. */
async function templateKey(): Promise<string> {
  const hash = createHash("sha256");
  const { dependencies } = JSON.parse(await readFile(PACKAGE_JSON, "utf8")) as { dependencies: Record<string, string> };
  hash.update(JSON.stringify(Object.entries(dependencies).filter(([name]) => name.startsWith("@electric-sql/"))));
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(file);
      else hash.update(`${path.relative(MIGRATIONS_FOLDER, file)}\0`).update(await readFile(file));
    }
  };
  await walk(MIGRATIONS_FOLDER);
  return hash.digest("hex").slice(0, 16);
}

/** A PGlite client with every migration applied, from the cached dump (made on first use). */
export async function openTestPglite(): Promise<PGlite> {
  const file = path.join(CACHE, `${await templateKey()}.tar`);
  const dump = await readFile(file).catch(() => undefined);
  if (dump) return PGlite.create({ loadDataDir: new Blob([dump]), extensions: { vector } });
  const client = await openPglite();
  const index = await createPgliteAdapterIndex({ client });
  await index.close();
  await mkdir(CACHE, { recursive: true });
  // Another test file may write the same dump at once: each writes its own and renames it in place.
  const partial = `${file}.${randomUUID()}.partial`;
  await writeFile(partial, new Uint8Array(await (await client.dumpDataDir("none")).arrayBuffer()));
  await rename(partial, file);
  return client;
}

/** The adapter index over openTestPglite(); close() closes its client too. */
export async function createTestPgliteIndex(): Promise<DrizzleAdapterIndex> {
  const client = await openTestPglite();
  const index = await createPgliteAdapterIndex({ client });
  const close = async () => {
    await index.close();
    await client.close();
  };
  return new Proxy(index, { get: (target, key, receiver) => (key === "close" ? close : Reflect.get(target, key, receiver)) });
}

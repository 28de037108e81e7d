import { existsSync } from "node:fs";
import path from "node:path";
import { createApiKeyStore, ignoreConnectionErrors, migrateDatabase, schema } from "@semla/registry";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { MigratorConfig } from "./config.js";

export interface MigrationReport {
  /** Migrations recorded in drizzle.__drizzle_migrations before and after this run. */
  readonly applied: { readonly before: number; readonly after: number };
  /** The bootstrap API key: newly recorded, already there, or none configured. */
  readonly bootstrapKey: "created" | "exists" | "none";
}

async function appliedCount(pool: pg.Pool): Promise<number> {
  // Two statements: PostgreSQL resolves every table of a statement before running any branch.
  const { rows: table } = await pool.query<{ name: string | null }>("SELECT to_regclass('drizzle.__drizzle_migrations')::text AS name");
  if (table[0]?.name == null) return 0;
  const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
  return rows[0]!.n;
}

/**
 * Applies the migrations (registry's migrateDatabase: idempotent, serialised by an advisory lock)
 * and records the bootstrap API key by its sha256, as the registry stores keys. A key already
 * recorded (this deploy's, or one the operator revoked) is left as it is.
 */
export async function runMigrations(config: MigratorConfig): Promise<MigrationReport> {
  // drizzle reads meta/_journal.json; without it the error would not say the folder is missing.
  if (!existsSync(path.join(config.migrationsFolder, "meta", "_journal.json"))) {
    throw new Error(`no migrations in ${config.migrationsFolder} (meta/_journal.json is missing): the bundle lacks the migrations/ folder`);
  }
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
  ignoreConnectionErrors(pool);
  try {
    const before = await appliedCount(pool);
    await migrateDatabase({ kind: "pg", pool }, { migrationsFolder: config.migrationsFolder });
    const after = await appliedCount(pool);
    let bootstrapKey: MigrationReport["bootstrapKey"] = "none";
    if (config.bootstrapKey) {
      const keys = createApiKeyStore(drizzle(pool, { schema }));
      bootstrapKey = (await keys.recordHash(config.bootstrapKey.tenant, "bootstrap", config.bootstrapKey.sha256)) ? "created" : "exists";
    }
    return { applied: { before, after }, bootstrapKey };
  } finally {
    await pool.end();
  }
}

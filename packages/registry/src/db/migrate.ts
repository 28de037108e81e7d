import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import type { AwsDataApiPgDatabase } from "drizzle-orm/aws-data-api/pg";
import { migrate as migrateDataApi } from "drizzle-orm/aws-data-api/pg/migrator";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type pg from "pg";

/** The repository's migrations folder: one history for PostgreSQL and PGlite. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../../migrations", import.meta.url));

export type MigrationTarget =
  | { readonly kind: "pg"; readonly pool: pg.Pool }
  | { readonly kind: "pglite"; readonly client: PGlite }
  // biome-ignore lint/suspicious/noExplicitAny: any schema: the migrator reads none of it
  | { readonly kind: "data-api"; readonly db: AwsDataApiPgDatabase<any> };

/** Any number of processes may start at once against one database; only one migrates at a time. */
const MIGRATION_LOCK = 0x5e3a_0001;

/**
 * Applies the migrations not yet applied (drizzle records them in drizzle.__drizzle_migrations),
 * so running it again is a no-op. `migrationsFolder` overrides the repository's, for bundles.
 */
export async function migrateDatabase(target: MigrationTarget, options: { readonly migrationsFolder?: string } = {}): Promise<void> {
  const config = { migrationsFolder: options.migrationsFolder ?? MIGRATIONS_FOLDER };
  if (target.kind === "pglite") {
    // PGlite is a single connection in this process: nothing else can race it.
    await migratePglite(drizzlePglite({ client: target.client }), config);
    return;
  }
  if (target.kind === "data-api") {
    // The Data API has no session to hold an advisory lock across calls: drizzle's migrator runs
    // each migration statement by statement (its `--> statement-breakpoint`s) in one Data API
    // transaction, so a migration applies whole or not at all, but two processes migrating at
    // once are not serialised. The deployed stack migrates once per deploy (its migrator function).
    await migrateDataApi(target.db, config);
    return;
  }
  const client = await target.pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrateNodePg(drizzleNodePg({ client }), config);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

import { existsSync } from "node:fs";
import path from "node:path";
import { createApiKeyStore, ignoreConnectionErrors, migrateDatabase, type RegistryDatabase, schema } from "@semla/registry";
import { DrizzleQueryError, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { MigratorConfig, MigratorDatabase } from "./config.js";

export interface MigrationReport {
  /** Migrations recorded in drizzle.__drizzle_migrations before and after this run. */
  readonly applied: { readonly before: number; readonly after: number };
  /** The bootstrap API key: newly recorded, already there, or none configured. */
  readonly bootstrapKey: "created" | "exists" | "none";
}

/** One database, whichever way it is reached: migrate it, count its applied migrations, record a key. */
interface Session {
  readonly db: RegistryDatabase;
  migrate(migrationsFolder: string): Promise<void>;
  close(): Promise<void>;
}

async function pgSession(url: string): Promise<Session> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  ignoreConnectionErrors(pool);
  return {
    db: drizzle(pool, { schema }),
    // Advisory-locked: concurrent deploys migrate one at a time.
    migrate: (migrationsFolder) => migrateDatabase({ kind: "pg", pool }, { migrationsFolder }),
    close: () => pool.end(),
  };
}

/** The Data API's call limit is 45 s; a paused cluster resuming takes ~15 s of it. */
const DATA_API_REQUEST_TIMEOUT_MS = 50_000;

async function dataApiSession(target: Extract<MigratorDatabase, { kind: "data-api" }>): Promise<Session> {
  // Loaded only in this mode, as the registry does: the SDK client takes ~100 ms to import.
  const [{ RDSDataClient }, { drizzle: drizzleDataApi }] = await Promise.all([import("@aws-sdk/client-rds-data"), import("drizzle-orm/aws-data-api/pg")]);
  const client = new RDSDataClient({
    ...(target.region ? { region: target.region } : {}),
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    requestHandler: { requestTimeout: DATA_API_REQUEST_TIMEOUT_MS },
  });
  const db = drizzleDataApi(client, { resourceArn: target.resourceArn, secretArn: target.secretArn, database: target.database, schema });
  return {
    // The driver's query result type differs from node-postgres's; rows are read through `rows` alike.
    db: db as unknown as RegistryDatabase,
    migrate: (migrationsFolder) => migrateDatabase({ kind: "data-api", db }, { migrationsFolder }),
    close: async () => client.destroy(),
  };
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  const rows = (result as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) throw new Error("unexpected query result: no rows");
  return rows as Record<string, unknown>[];
}

/**
 * drizzle wraps a driver's error in a DrizzleQueryError ("Failed query: …"); the first statement's
 * failure is the database being unreachable (ECONNREFUSED, DatabaseUnavailableException): say that.
 */
async function query(db: RegistryDatabase, statement: ReturnType<typeof sql>): Promise<Record<string, unknown>[]> {
  try {
    return rowsOf(await db.execute(statement));
  } catch (error) {
    throw error instanceof DrizzleQueryError && error.cause instanceof Error ? error.cause : error;
  }
}

async function appliedCount(db: RegistryDatabase): Promise<number> {
  // Two statements: PostgreSQL resolves every table of a statement before running any branch.
  const [table] = await query(db, sql`SELECT to_regclass('drizzle.__drizzle_migrations')::text AS name`);
  if (table?.name == null) return 0;
  const [count] = await query(db, sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
  return Number(count!.n);
}

/**
 * Applies the migrations (registry's migrateDatabase: idempotent; serialised by an advisory lock
 * on PostgreSQL, one Data API transaction per run through the Data API) and records the bootstrap
 * API key by its sha256, as the registry stores keys. A key already recorded (this deploy's, or one
 * the operator revoked) is left as it is.
 */
export async function runMigrations(config: MigratorConfig): Promise<MigrationReport> {
  // drizzle reads meta/_journal.json; without it the error would not say the folder is missing.
  if (!existsSync(path.join(config.migrationsFolder, "meta", "_journal.json"))) {
    throw new Error(`no migrations in ${config.migrationsFolder} (meta/_journal.json is missing): the bundle lacks the migrations/ folder`);
  }
  const session = config.database.kind === "pg" ? await pgSession(config.database.url) : await dataApiSession(config.database);
  try {
    const before = await appliedCount(session.db);
    await session.migrate(config.migrationsFolder);
    const after = await appliedCount(session.db);
    let bootstrapKey: MigrationReport["bootstrapKey"] = "none";
    if (config.bootstrapKey) {
      const keys = createApiKeyStore(session.db);
      bootstrapKey = (await keys.recordHash(config.bootstrapKey.tenant, "bootstrap", config.bootstrapKey.sha256)) ? "created" : "exists";
    }
    return { applied: { before, after }, bootstrapKey };
  } finally {
    await session.close();
  }
}

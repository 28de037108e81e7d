import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { createDrizzleAdapterIndex, type DrizzleAdapterIndex } from "./drizzle-index.js";
import { migrateDatabase } from "./migrate.js";
import { schema } from "./schema.js";

/**
 * A connection the server terminates (restart, failover, DROP DATABASE ... FORCE) emits an 'error'
 * event that would crash the process when no one listens; the queries on it fail on their own.
 */
export function ignoreConnectionErrors(pool: pg.Pool): void {
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
}

export type PgAdapterIndexOptions = (
  | { readonly connectionString: string; readonly maxConnections?: number }
  | { readonly pool: pg.Pool }
) & {
  /** Apply pending migrations first (default true). */
  readonly migrate?: boolean;
};

/**
 * The adapter index on PostgreSQL + pgvector. A pool given by the caller stays the caller's
 * (close() leaves it open); one made from a connection string is ended by close().
 */
export async function createPgAdapterIndex(options: PgAdapterIndexOptions): Promise<DrizzleAdapterIndex> {
  const owned = "connectionString" in options;
  const pool = owned
    ? new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 })
    : options.pool;
  if (owned) ignoreConnectionErrors(pool);
  const close = async () => {
    if (owned) await pool.end();
  };
  try {
    if (options.migrate !== false) await migrateDatabase({ kind: "pg", pool });
  } catch (error) {
    await close();
    throw error;
  }
  return createDrizzleAdapterIndex(drizzle({ client: pool, schema }), close);
}

import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { createDrizzleAdapterIndex, type DrizzleAdapterIndex } from "./drizzle-index.js";
import { migrateDatabase } from "./migrate.js";
import { pgOutage, registerOutageClassifier } from "./outage.js";
import { schema } from "./schema.js";

/**
 * A connection the server terminates (restart, failover, DROP DATABASE ... FORCE) emits an 'error'
 * event that would crash the process when no one listens; the queries on it fail on their own.
 */
export function ignoreConnectionErrors(pool: pg.Pool): void {
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
}

/**
 * A pool whose checked-out connections are given back, destroyed, as soon as a query on them fails
 * for an outage. drizzle's transaction() sends BEGIN before its try/finally: a connection that
 * dies there (the server restarting between checkout and BEGIN) was never released, and a
 * database that flapped a few times exhausted the pool for good (every later request waited for a
 * connection, then failed). Released here, drizzle's own later release is a no-op.
 */
class OutageReleasingPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  // biome-ignore lint/suspicious/noConfusingVoidType: pg.Pool's own overloads: the callback form returns void
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    // The callback form is pg-pool's own (pool.query), which releases on error itself.
    if (callback) return super.connect(callback);
    return super.connect().then(releasedOnOutage);
  }
}

const guardedClients = new WeakSet<pg.PoolClient>();

function releasedOnOutage(client: pg.PoolClient): pg.PoolClient {
  if (guardedClients.has(client)) return client;
  guardedClients.add(client);
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      if (pgOutage(error) !== undefined) {
        // pg-pool sets release afresh at each checkout: this one's, once.
        const release = client.release;
        client.release = () => {};
        release(error instanceof Error ? error : true);
      }
      throw error;
    });
  };
  return client;
}

/**
 * How long a request may wait on the database, so none hangs while it is down or unreachable.
 * Connecting: 20 s covers a paused Aurora Serverless cluster resuming (~15 s); a stopped server
 * refuses at once. A statement: 30 s, far above any registry query (k-NN in milliseconds).
 */
export const PG_TIMEOUT_DEFAULTS = { connectionTimeoutMs: 20_000, statementTimeoutMs: 30_000 } as const;

/** The client's own bound on a query's answer: the server's statement_timeout, plus room for the cancel to arrive. */
const QUERY_TIMEOUT_GRACE_MS = 5_000;

export type PgAdapterIndexOptions = (
  | {
      readonly connectionString: string;
      readonly maxConnections?: number;
      /** Getting a connection (from the pool, or a new one) fails after this. Default 20 s. */
      readonly connectionTimeoutMs?: number;
      /** The server cancels a statement after this (statement_timeout); the client gives up 5 s later. Default 30 s. */
      readonly statementTimeoutMs?: number;
    }
  | { readonly pool: pg.Pool }
) & {
  /** Apply pending migrations first (default true). */
  readonly migrate?: boolean;
};

/**
 * The adapter index on PostgreSQL + pgvector. A pool given by the caller stays the caller's
 * (close() leaves it open); one made from a connection string is ended by close(), and has
 * bounded connect and statement times (migrations run first on a connection of their own without
 * the statement bound: building an index may take longer).
 */
export async function createPgAdapterIndex(options: PgAdapterIndexOptions): Promise<DrizzleAdapterIndex> {
  if (!("connectionString" in options)) {
    if (options.migrate !== false) await migrateDatabase({ kind: "pg", pool: options.pool });
    return indexOn(options.pool, async () => {});
  }
  const connectionTimeoutMillis = options.connectionTimeoutMs ?? PG_TIMEOUT_DEFAULTS.connectionTimeoutMs;
  if (options.migrate !== false) {
    const migrator = new pg.Pool({ connectionString: options.connectionString, max: 1, connectionTimeoutMillis });
    ignoreConnectionErrors(migrator);
    try {
      await migrateDatabase({ kind: "pg", pool: migrator });
    } finally {
      await migrator.end();
    }
  }
  const statementTimeout = options.statementTimeoutMs ?? PG_TIMEOUT_DEFAULTS.statementTimeoutMs;
  const pool = new OutageReleasingPool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + QUERY_TIMEOUT_GRACE_MS,
    // A connection stuck in an open transaction (a client that died mid-way) is ended by the server.
    idle_in_transaction_session_timeout: statementTimeout,
    keepAlive: true,
  });
  ignoreConnectionErrors(pool);
  return indexOn(pool, () => pool.end());
}

function indexOn(pool: pg.Pool, close: () => Promise<void>): DrizzleAdapterIndex {
  const db = drizzle({ client: pool, schema });
  registerOutageClassifier(db, pgOutage);
  return createDrizzleAdapterIndex(db, close);
}

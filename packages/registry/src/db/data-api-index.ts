import type { RDSDataClient } from "@aws-sdk/client-rds-data";
import type { RegistryDatabase } from "./database.js";
import { createDrizzleAdapterIndex, type DrizzleAdapterIndex } from "./drizzle-index.js";
import { migrateDatabase } from "./migrate.js";
import { dataApiOutage, registerOutageClassifier } from "./outage.js";
import { schema } from "./schema.js";

export interface DataApiAdapterIndexOptions {
  /** The Aurora cluster's ARN. */
  readonly resourceArn: string;
  /** The Secrets Manager secret holding the database user's credentials. */
  readonly secretArn: string;
  /** The database on the cluster. */
  readonly database: string;
  /** An RDS Data client; it stays the caller's (close() leaves it). Default: one for `region`/`endpoint`. */
  readonly client?: RDSDataClient;
  readonly region?: string;
  /** An endpoint other than the region's (the loopback Data API, in tests). */
  readonly endpoint?: string;
  /**
   * Apply pending migrations first (default true), statement by statement: drizzle's migrator
   * splits each migration at its `--> statement-breakpoint`s and runs them, one ExecuteStatement
   * each, in one Data API transaction per run.
   */
  readonly migrate?: boolean;
}

/** The Data API's own time limit on a call is 45 s; the client gives up a little after it. */
const REQUEST_TIMEOUT_MS = 50_000;

/** The client's first connection: 20 s, as for a PostgreSQL connection. */
const CONNECTION_TIMEOUT_MS = 20_000;

/**
 * The adapter index on Aurora PostgreSQL through the Data API (HTTPS and IAM, no VPC): each
 * statement an ExecuteStatement call, transactions BeginTransaction / CommitTransaction /
 * RollbackTransaction (drizzle's aws-data-api/pg driver). The Data API's errors that mean "the
 * database is not there right now" (a paused cluster resuming, the secret or the transaction gone)
 * become registry.unavailable.
 */
export async function createDataApiAdapterIndex(options: DataApiAdapterIndexOptions): Promise<DrizzleAdapterIndex> {
  // Loaded here, not with the package: the SDK client takes ~100 ms to import, which the PostgreSQL
  // and PGlite modes (the CLI, every other cold start) would pay for nothing.
  const [{ RDSDataClient }, { drizzle }] = await Promise.all([import("@aws-sdk/client-rds-data"), import("drizzle-orm/aws-data-api/pg")]);
  const client =
    options.client ??
    new RDSDataClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECTION_TIMEOUT_MS },
    });
  const close = async () => {
    if (!options.client) client.destroy();
  };
  const db = drizzle(client, { resourceArn: options.resourceArn, secretArn: options.secretArn, database: options.database, schema });
  registerOutageClassifier(db, dataApiOutage);
  try {
    if (options.migrate !== false) await migrateDatabase({ kind: "data-api", db });
  } catch (error) {
    await close();
    throw error;
  }
  // The driver's query result type differs from node-postgres's; the shared code reads rows through resultRows.
  return createDrizzleAdapterIndex(db as unknown as RegistryDatabase, close);
}

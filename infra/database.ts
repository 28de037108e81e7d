import { dataApiPermissions } from "./iam";
import type { Network } from "./network";
import { AURORA_POSTGRES_VERSION, RDS_POSTGRES_VERSION, type StageSettings } from "./settings";

/**
 * The registry's PostgreSQL: Aurora Serverless v2 (scales to 0 ACU and pauses when idle) or a
 * provisioned RDS instance, by the stage's setting. pgvector is not set up here: the first
 * migration runs CREATE EXTENSION vector (both offer it).
 */
export function createDatabase(settings: StageSettings, network: Network) {
  const db = settings.database;
  const dataApi = settings.network === "data-api";
  const database =
    db.kind === "aurora"
      ? new sst.aws.Aurora("Database", {
          engine: "postgres",
          version: AURORA_POSTGRES_VERSION,
          database: "semla",
          scaling: {
            min: `${db.minAcu} ACU`,
            max: `${db.maxAcu} ACU`,
            ...(db.pauseAfterMinutes === undefined ? {} : { pauseAfter: `${db.pauseAfterMinutes} minutes` as const }),
          },
          // The Data API (enableHttpEndpoint) in "data-api" mode: the functions' only way in.
          ...(dataApi ? { dataApi: true } : {}),
          vpc: network.vpc,
        })
      : new sst.aws.Postgres("Database", {
          version: RDS_POSTGRES_VERSION,
          database: "semla",
          instance: db.instance,
          storage: `${db.storageGb} GB`,
          vpc: network.vpc,
        });

  // The connection string the functions read (SEMLA_DATABASE_URL). verify-full: the RDS CA is
  // trusted through NODE_EXTRA_CA_CERTS (see FUNCTION_CA_ENV). The password stays a secret output.
  const url = $resolve({
    username: database.username,
    password: database.password,
    host: database.host,
    port: database.port,
    name: database.database,
  }).apply(({ username, password, host, port, name }) => `postgres://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${host}:${port}/${name}?sslmode=verify-full`);
  const secretUrl = $util.secret(url);

  // What the functions read to reach the database: the connection string in the VPC, or the
  // cluster, its master secret and the database's name for the Data API (no password in sight).
  const environment: Record<string, $util.Input<string>> = dataApi && database instanceof sst.aws.Aurora
    ? { SEMLA_DATA_API_RESOURCE_ARN: database.clusterArn, SEMLA_DATA_API_SECRET_ARN: database.secretArn, SEMLA_DATA_API_DATABASE: database.database }
    : { SEMLA_DATABASE_URL: secretUrl, ...FUNCTION_CA_ENV };
  // The Data API's calls on the cluster, and its secret read, by the functions themselves.
  const permissions = dataApi && database instanceof sst.aws.Aurora ? dataApiPermissions(database.clusterArn, database.secretArn) : [];
  return { database, url: secretUrl, environment, permissions };
}

/**
 * Lambda's Node.js 20+ runtimes ship the RDS certificate authorities in this file but no longer
 * load them by default.
 */
export const FUNCTION_CA_ENV = { NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem" } as const;

export type Database = ReturnType<typeof createDatabase>;

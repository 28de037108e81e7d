import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { FUNCTION_ARCHITECTURE, FUNCTION_RUNTIME } from "./api";
import type { Database } from "./database";
import { lambdaOnlyTrust } from "./iam";
import { functionVpc, type Network } from "./network";
import type { Secrets } from "./secrets";

export const MIGRATOR_HANDLER = "functions/migrator/src/handler.handler";
/** Where copyFiles puts the repository's migrations/ folder inside the bundle (/var/task). */
export const BUNDLED_MIGRATIONS = "migrations";

/**
 * sha256 over the migration files (names and bytes, in name order): the deploy-time invocation
 * runs again exactly when the history changes (or the bootstrap key does).
 */
export function migrationsDigest(folder: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        hash
          .update(`${path.relative(folder, full)}\0`)
          .update(readFileSync(full))
          .update("\0");
    }
  };
  walk(folder);
  return hash.digest("hex");
}

/**
 * The migrator: a function (in the VPC in "vpc" mode, through the Data API in "data-api" mode)
 * that applies migrations/ (registry's migrateDatabase,
 * idempotent, advisory-locked) and records the stage's bootstrap API key, invoked by every deploy
 * whose migrations changed. A failed migration fails the deploy (the invocation reports the
 * function's error).
 */
export function createMigrations(deps: { network: Network; database: Database; secrets: Secrets }) {
  const { network, database, secrets } = deps;
  const migrator = new sst.aws.Function("Migrator", {
    handler: MIGRATOR_HANDLER,
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memory: "512 MB",
    // A paused Aurora cluster takes ~15 s to resume; CREATE INDEX on a large library takes longer.
    timeout: "5 minutes",
    ...functionVpc(network),
    copyFiles: [{ from: BUNDLED_MIGRATIONS, to: BUNDLED_MIGRATIONS }],
    transform: { role: lambdaOnlyTrust },
    // The Data API's calls in "data-api" mode; nothing in "vpc" mode (it connects with the password).
    permissions: database.permissions,
    environment: {
      ...database.environment,
      SEMLA_BOOTSTRAP_API_KEY_SHA256: secrets.apiKeySha256,
    },
  });

  const invocation = new aws.lambda.Invocation(
    "MigratorInvocation",
    {
      functionName: migrator.name,
      input: JSON.stringify({ action: "migrate" }),
      triggers: {
        migrations: migrationsDigest(path.resolve(BUNDLED_MIGRATIONS)),
        apiKey: secrets.apiKeySha256,
      },
    },
    { dependsOn: [database.database] },
  );
  return { migrator, invocation };
}

export type Migrations = ReturnType<typeof createMigrations>;

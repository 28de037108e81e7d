import { FUNCTION_ARCHITECTURE, FUNCTION_RUNTIME } from "./api";
import type { Database } from "./database";
import { bucketPermissions, lambdaOnlyTrust, SWEEPER_BUCKET_ACCESS } from "./iam";
import { functionVpc, type Network } from "./network";
import type { StageSettings } from "./settings";
import type { Storage } from "./storage";

/** The scheduled sweep's entry (functions/api/src/sweep/lambda.ts, `export async function handler`). */
export const SWEEPER_HANDLER = "functions/api/src/sweep/lambda.handler";

/**
 * The registry's sweep on a schedule (an EventBridge rule, SST's Cron): a function (in the VPC in
 * "vpc" mode) that
 * opens the registry with the API's own configuration and removes what interrupted uploads left
 * (stale pending rows with their objects, objects no row references). It lists adapters/ and
 * deletes there, nothing else.
 */
export function createSweep(settings: StageSettings, deps: { network: Network; database: Database; storage: Storage }) {
  const { network, database, storage } = deps;
  const sweeper = new sst.aws.Function("Sweeper", {
    handler: SWEEPER_HANDLER,
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memory: "512 MB",
    // A paused Aurora cluster takes ~15 s to resume; a large bucket takes a while to list.
    timeout: "5 minutes",
    ...functionVpc(network),
    logging: { retention: settings.logRetention },
    environment: {
      ...database.environment,
      SEMLA_BUCKET: storage.bucket.name,
      SEMLA_DATA_DIR: "/tmp/semla",
      SEMLA_LOG_LEVEL: "info",
      // The migrator owns the schema: the sweep never runs DDL.
      SEMLA_MIGRATE: "false",
    },
    permissions: [...bucketPermissions(storage.bucket.arn, SWEEPER_BUCKET_ACCESS), ...database.permissions],
    transform: { role: lambdaOnlyTrust },
  });
  const cron = new sst.aws.Cron("Sweep", { function: sweeper.arn, schedule: settings.sweepSchedule });
  return { sweeper, cron };
}

export type Sweep = ReturnType<typeof createSweep>;

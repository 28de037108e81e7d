import { createLogger, errorFields, type Logger } from "@semla/observability";
import { parseMigratorConfig } from "./config.js";
import { type MigrationReport, runMigrations } from "./migrate.js";

/** What the migrator reads of Lambda's invocation context: its request id, on every log line. */
export interface MigratorContext {
  readonly awsRequestId?: string;
}

/**
 * The migrator Lambda (functions/migrator/src/handler.handler), invoked by every deploy whose
 * migrations changed (infra/migrations.ts). A thrown error is a function error, which fails the
 * deploy's invocation and so the deploy: the API never runs against a schema it does not expect.
 * It logs JSON lines as the API and the endpoint do, each with the invocation's request id.
 */
export async function handler(event: unknown, context: MigratorContext = {}, logger: Logger = createLogger("info")): Promise<MigrationReport> {
  const requestId = context.awsRequestId;
  try {
    const action = typeof event === "object" && event !== null && "action" in event ? (event as { action: unknown }).action : "migrate";
    if (action !== "migrate") throw new Error(`unknown action ${JSON.stringify(action)}: the migrator only does "migrate"`);
    const report = await runMigrations(parseMigratorConfig(process.env));
    logger.log("info", "migrated", { requestId, ...report });
    return report;
  } catch (error) {
    logger.log("error", "migration failed", { requestId, ...errorFields(error) });
    throw error;
  }
}

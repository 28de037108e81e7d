import { parseMigratorConfig } from "./config.js";
import { type MigrationReport, runMigrations } from "./migrate.js";

/**
 * The migrator Lambda (functions/migrator/src/handler.handler), invoked by every deploy whose
 * migrations changed (infra/migrations.ts). A thrown error is a function error, which fails the
 * deploy's invocation and so the deploy: the API never runs against a schema it does not expect.
 */
export async function handler(event: unknown): Promise<MigrationReport> {
  const action = typeof event === "object" && event !== null && "action" in event ? (event as { action: unknown }).action : "migrate";
  if (action !== "migrate") throw new Error(`unknown action ${JSON.stringify(action)}: the migrator only does "migrate"`);
  const report = await runMigrations(parseMigratorConfig(process.env));
  console.log(JSON.stringify({ msg: "migrated", ...report }));
  return report;
}

import { type SweepReport, sweep } from "@semla/registry";
import { parseConfig } from "@semla/service/config";
import { openRegistry } from "@semla/service/registry";

/**
 * The scheduled sweep (SST handler `functions/api/src/sweep/lambda.handler`, on a cron in
 * infra/sweep.ts): opens the registry from the same configuration as the API and removes what
 * interrupted uploads left (stale pending rows with their objects, orphan objects). A thrown error
 * (the database or the store down) fails the invocation; the next scheduled one tries again.
 */
export async function handler(): Promise<SweepReport> {
  const registry = await openRegistry(parseConfig(process.env));
  try {
    const report = await sweep(registry);
    console.log(JSON.stringify({ level: "info", msg: "swept", ...report }));
    return report;
  } finally {
    await registry.index.close();
  }
}

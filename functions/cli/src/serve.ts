import { createServices, parseConfig, startNodeServer } from "@semla/api";
import { configuredDatabase } from "@semla/service";
import { startEmbedded, usageExamples } from "./embedded/start.js";

/**
 * `semla serve`: the API on this machine. Without a configured database (SEMLA_DATABASE_URL or the Data API) and SEMLA_BUCKET it is the
 * embedded default (PGlite, filesystem store, local inference, demo library); with them, the same
 * app over the configured services.
 */
export async function runServe(overrides: Record<string, string | undefined>): Promise<void> {
  const config = parseConfig({ ...process.env, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) });
  let close: () => Promise<void>;
  if (!configuredDatabase(config) && !config.SEMLA_BUCKET) {
    // Progress starts once the data folder is locked: a refused second server prints its one line only.
    const server = await startEmbedded(config, { onProgress: (message) => process.stderr.write(`  ${message}\n`) });
    console.log(`\n${usageExamples(server, server.seeded.library, server.seeded)}\n`);
    process.stderr.write(`ready in ${Math.round(server.startMs)} ms\n`);
    close = server.close;
  } else {
    const services = await createServices(config);
    const server = await startNodeServer(services, config);
    console.log(`SemLA Serve listening on ${server.url}`);
    close = async () => {
      await server.close();
      await services.close();
    };
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await close();
}

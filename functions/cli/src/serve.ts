import { createServer } from "node:net";
import { createServices, parseConfig, startNodeServer } from "@semla/api";
import { SemlaError } from "@semla/core";
import { configuredDatabase } from "@semla/service";
import { startEmbedded, usageExamples } from "./embedded/start.js";

/**
 * `semla serve`: the API on this machine. Without a configured database (SEMLA_DATABASE_URL or the Data API) and SEMLA_BUCKET it is the
 * embedded default (PGlite, filesystem store, local inference, demo library); with them, the same
 * app over the configured services.
 */
export async function runServe(overrides: Record<string, string | undefined>): Promise<void> {
  const config = parseConfig({ ...process.env, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) });
  // Before the data folder and the models: a port in use fails now, not after the demo world is fitted.
  await assertPortFree(config.SEMLA_HOST, config.SEMLA_PORT);
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

/** Refuses a port something already listens on (cli.port-in-use), by listening on it for a moment; port 0 is always free. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EADDRINUSE") return reject(error);
      reject(new SemlaError("cli.port-in-use", `port ${port} on ${host} is in use (another semla serve?): stop what listens there, or pick another with --port N (or SEMLA_PORT)`, { host, port }));
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

import { createServices, openRegistry, parseConfig, startEmbedded, startNodeServer, usageExamples } from "@semla/api";
import { createApiKeyStore } from "@semla/registry";

/**
 * `semla serve`: the API on this machine. Without SEMLA_DATABASE_URL and SEMLA_BUCKET it is the
 * embedded default (PGlite, filesystem store, local inference, demo library); with them, the same
 * app over the configured services.
 */
export async function runServe(overrides: Record<string, string | undefined>): Promise<void> {
  const config = parseConfig({ ...process.env, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) });
  let close: () => Promise<void>;
  if (!config.SEMLA_DATABASE_URL && !config.SEMLA_BUCKET) {
    process.stderr.write(`Starting the embedded default in ${config.SEMLA_DATA_DIR} (the first run generates the models and the demo library)...\n`);
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

/** `semla keys create TENANT`: an API key, printed once (the registry keeps its hash only). */
export async function runCreateKey(tenant: string, name: string): Promise<void> {
  const registry = await openRegistry(parseConfig(process.env));
  try {
    const { key, record } = await createApiKeyStore(registry.index.db).create(tenant, name);
    process.stderr.write(`API key ${record.id} for tenant ${tenant} (shown once):\n`);
    console.log(key);
  } finally {
    await registry.index.close();
  }
}

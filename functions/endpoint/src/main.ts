import { createAdapters } from "@semla/adapters";
import { type BankSegmenter, BankSessions, type Segmenter } from "@semla/inference";
import { describePack, locateModels } from "@semla/service/models";
import { describeStore, openStore } from "@semla/service/store";
import { createEndpointApp } from "./app.js";
import { bankBuilder, createEndpointBanks, type EndpointBanks } from "./banks.js";
import { ConfigError, type EndpointConfig, parseServeConfig, SERVE_USAGE } from "./config.js";
import { EndpointError } from "./errors.js";
import { chooseExecutionProviders, loadSegmenter } from "./segmenter.js";
import { startEndpointServer } from "./server.js";

/**
 * The container command: `tsx src/main.ts serve`. The server listens first and loads the models
 * after, so SageMaker's health check sees 503 (loading) and then 200, never a refused connection.
 */

const USAGE = `usage: endpoint serve [options]   (see: endpoint serve --help)\n`;

function log(line: string): void {
  process.stderr.write(`endpoint: ${line}\n`);
}

async function serve(config: EndpointConfig): Promise<void> {
  const store = openStore(config.store);
  const adapters = createAdapters({ ...(store ? { store } : {}), maxBytes: config.adapterCacheBytes });
  let loaded: Segmenter | undefined;
  let banks: EndpointBanks | undefined;
  // Stands in for the real segmenter until it is loaded; the app refuses invocations until ready anyway.
  const segmenter: Segmenter = {
    segment: (input, options) => {
      if (!loaded) throw new EndpointError("not-ready", "the models are still loading");
      return loaded.segment(input, options);
    },
    close: async () => loaded?.close(),
  };
  // Bank mode: the app asks through this stand-in, which answers "no bank" until the models are loaded.
  const bankRouting: EndpointBanks = {
    segment: (request, options) => (banks ? banks.segment(request, options) : Promise.resolve(null)),
    close: async () => banks?.close(),
  };
  const app = createEndpointApp({ segmenter, adapters, banks: bankRouting, ready: () => loaded !== undefined, bodyLimitBytes: config.bodyLimitBytes });
  const server = await startEndpointServer(app, { port: config.port, hostname: config.host });
  log(`listening on ${config.host}:${server.port}; adapter store: ${describeStore(config.store)}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    await server.close().catch(() => undefined);
    await bankRouting.close();
    await segmenter.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));

  const files = await locateModels({ dir: config.modelDir, ...(config.modelsCache ? { cacheDir: config.modelsCache } : {}), preset: config.preset, log: (message) => log(message) });
  const providers = chooseExecutionProviders(config.executionProvider);
  const started = performance.now();
  const onnx = await loadSegmenter(files, providers);
  if (store && files.segmenter && config.bankMemoryBytes > 0) {
    const sessions = new BankSessions<BankSegmenter>({
      maxBytes: config.bankMemoryBytes,
      build: bankBuilder({ store, adapters, segmenter: files.segmenter, text: onnx.classText, executionProviders: providers }),
      onBuildError: (error, bank) => log(`bank ${bank.library}@${bank.generation} not built: ${error instanceof Error ? error.message : String(error)}`),
    });
    banks = createEndpointBanks({ sessions, windowMs: config.bankBatchWindowMs, maxBatch: config.bankMaxBatch });
  }
  loaded = onnx;
  log(`ready: ${describePack(files)} on ${providers.join(" > ")} in ${Math.round(performance.now() - started)} ms`);
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "serve") {
    if (rest.includes("--help")) {
      process.stdout.write(SERVE_USAGE);
      return;
    }
    await serve(parseServeConfig(rest, process.env));
    return;
  }
  // SageMaker runs the image as `docker run <image> serve`; anything else is a usage error.
  throw new ConfigError(command === undefined ? "no command given" : `unknown command ${JSON.stringify(command)}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
    process.stderr.write(`endpoint: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  // A model that cannot be loaded ends the container: SageMaker then reports the failed deployment.
  process.stderr.write(`endpoint: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

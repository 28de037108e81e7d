import { createAdapters } from "@semla/adapters";
import { type BankSegmenter, BankSessions, type Segmenter } from "@semla/inference";
import { createLogger, errorFields } from "@semla/observability";
import { startTracingFromEnv } from "@semla/observability/tracing-sdk";
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

/** JSON lines on stdout, as the API's (CloudWatch reads the container's output). */
const logger = createLogger(process.env.SEMLA_LOG_LEVEL === "debug" ? "debug" : "info");

function log(message: string, fields: Record<string, unknown> = {}): void {
  logger.log("info", message, fields);
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
  // Traces continue the API's when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or SEMLA_OTLP_ENDPOINT).
  const tracing = await startTracingFromEnv("semla-endpoint");
  // Bank mode: the app asks through this stand-in, which answers "no bank" until the models are loaded.
  const bankRouting: EndpointBanks = {
    segment: (request, options) => (banks ? banks.segment(request, options) : Promise.resolve(null)),
    close: async () => banks?.close(),
  };
  const app = createEndpointApp({ segmenter, adapters, banks: bankRouting, ready: () => loaded !== undefined, bodyLimitBytes: config.bodyLimitBytes, logger });
  const server = await startEndpointServer(app, { port: config.port, hostname: config.host });
  log("listening", { host: config.host, port: server.port, adapterStore: describeStore(config.store), tracing: tracing !== undefined });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("shutting down", { signal });
    await server.close().catch(() => undefined);
    await bankRouting.close();
    await tracing?.shutdown();
    await segmenter.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));

  const files = await locateModels({ dir: config.modelDir, ...(config.modelsCache ? { cacheDir: config.modelsCache } : {}), preset: config.preset, log: (message, fields) => log(message, fields) });
  const providers = chooseExecutionProviders(config.executionProvider);
  const started = performance.now();
  const onnx = await loadSegmenter(files, providers);
  if (store && files.segmenter && config.bankMemoryBytes > 0) {
    const sessions = new BankSessions<BankSegmenter>({
      maxBytes: config.bankMemoryBytes,
      build: bankBuilder({ store, adapters, segmenter: files.segmenter, text: onnx.classText, executionProviders: providers }),
      onBuildError: (error, bank) => logger.log("warn", "bank not built", { library: bank.library, generation: bank.generation, ...errorFields(error) }),
    });
    banks = createEndpointBanks({ sessions, windowMs: config.bankBatchWindowMs, maxBatch: config.bankMaxBatch });
  }
  loaded = onnx;
  log("ready", { models: describePack(files), executionProviders: providers, ms: Math.round(performance.now() - started) });
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
  logger.log("error", "the endpoint cannot start", errorFields(error));
  process.exit(1);
});

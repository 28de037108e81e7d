import { type RunningServer, startEndpointServer } from "@semla/endpoint/server";
import { startTracingFromEnv } from "@semla/observability/tracing-sdk";
import type { ApiConfig } from "@semla/service/config";
import { type App, createApp } from "./app.js";
import { ApiError, errorReply } from "./http/errors.js";
import { startPeriodicJobs } from "./jobs/periodic.js";
import type { DemoImage } from "./routes/console.js";
import { metricsRoutes } from "./routes/metrics.js";
import type { Services } from "./services.js";
import { startPeriodicSweep } from "./sweep/periodic.js";

export type { RunningServer };

/**
 * Serves the app over HTTP on Node (the endpoint's server, shared); port 0 picks a free one (tests).
 * What Node's parser refuses before the app runs (an oversized head) is answered as the API's own.
 */
export function startServer(app: App, { port, hostname = "127.0.0.1" }: { port: number; hostname?: string }): Promise<RunningServer> {
  return startEndpointServer(app, { port, hostname, refuse: (refusal) => errorReply(new ApiError(refusal.rule, refusal.message, refusal.details)) });
}

/**
 * GET /metrics alone, open, on a port of its own (SEMLA_METRICS_PORT): for a scraper inside the
 * network, while the API's port serves none.
 */
export function startMetricsServer(metrics: NonNullable<Services["metrics"]>, { port, hostname }: { port: number; hostname: string }): Promise<RunningServer> {
  return startEndpointServer(metricsRoutes(metrics), { port, hostname });
}

/**
 * The API as a long-lived Node server (`semla serve`, the embedded default): the app over HTTP, and
 * the registry's sweep at start and every SEMLA_SWEEP_INTERVAL_MS (what interrupted uploads left);
 * the jobs' rounds every SEMLA_JOBS_POLL_MS; the metrics port when SEMLA_METRICS_PORT names one, and
 * traces when an OTLP endpoint is configured.
 * close() stops the jobs and the sweep, then the servers; the services stay the caller's.
 */
export async function startNodeServer(services: Services, config: ApiConfig, options: { demoImages?: readonly DemoImage[] } = {}): Promise<RunningServer> {
  const tracing = await startTracingFromEnv("semla-api", { ...process.env, SEMLA_OTLP_ENDPOINT: config.SEMLA_OTLP_ENDPOINT });
  const server = await startServer(createApp({ ...services, ...(options.demoImages ? { demoImages: options.demoImages } : {}) }), { port: config.SEMLA_PORT, hostname: config.SEMLA_HOST });
  const metricsPort = config.SEMLA_METRICS_PORT;
  const metricsServer =
    metricsPort !== undefined && services.metrics ? await startMetricsServer(services.metrics, { port: metricsPort, hostname: config.SEMLA_METRICS_HOST ?? config.SEMLA_HOST }) : undefined;
  const sweeper = startPeriodicSweep(services, { intervalMs: config.SEMLA_SWEEP_INTERVAL_MS, logger: services.logger });
  const jobs = startPeriodicJobs(services.jobs.runner, { intervalMs: config.SEMLA_JOBS_POLL_MS, logger: services.logger });
  return {
    url: server.url,
    port: server.port,
    async close() {
      await jobs.stop();
      await sweeper.stop();
      await metricsServer?.close();
      await server.close();
      await tracing?.shutdown();
    },
  };
}

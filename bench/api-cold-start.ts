/**
 * The cold-start half of bench/api.bench.ts, run as its own process: services from the environment
 * (as the Lambda function reads it: PostgreSQL, the bucket, the models downloaded from it, the
 * SageMaker endpoint), then the server. Prints when it listens; the parent times the first answer.
 */
import { createApp, createServices, parseConfig, startServer } from "@semla/api";

const imported = performance.now();
const services = await createServices(parseConfig(process.env));
const server = await startServer(createApp(services), { port: 0 });
process.stdout.write(`${JSON.stringify({ url: server.url, timeOrigin: performance.timeOrigin, importedMs: imported, listeningMs: performance.now() })}\n`);
process.once("SIGTERM", () => {
  void server
    .close()
    .then(() => services.close())
    .then(() => process.exit(0));
});

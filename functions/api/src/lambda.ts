import { parseConfig } from "@semla/service/config";
import { handle } from "hono/aws-lambda";
import { createApp } from "./app.js";
import { createServices } from "./services.js";

/**
 * The API as a Lambda function (SST handler `functions/api/src/lambda.handler`). Services start once
 * per container, on the first invocation, and are reused while it stays warm.
 */
let app: Promise<ReturnType<typeof handle>> | undefined;

function start(): Promise<ReturnType<typeof handle>> {
  app ??= createServices(parseConfig(process.env)).then((services) => handle(createApp(services)));
  // A failed start is not cached: the next invocation tries again.
  app.catch(() => (app = undefined));
  return app;
}

export const handler: ReturnType<typeof handle> = async (event, context) => (await start())(event, context);

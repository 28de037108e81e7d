import { parseConfig } from "@semla/service/config";
import { handle } from "hono/aws-lambda";
import { createApp } from "./app.js";
import { createServices } from "./services.js";

/**
 * The API as a Lambda function (SST handler `functions/api/src/lambda.handler`). Services start once
 * per container, on the first invocation, and are reused while it stays warm. A segment answer's
 * contributions are written before it is returned: Lambda freezes the process once it has answered.
 */
/** Lambda's 6 MB response payload holds a binary body base64-encoded: 4.5 MB of bytes. */
export const LAMBDA_ANSWER_BYTES = (6 * 1024 * 1024 * 3) / 4;

let app: Promise<ReturnType<typeof handle>> | undefined;

function start(): Promise<ReturnType<typeof handle>> {
  app ??= createServices(parseConfig(process.env), { contributionsAfterAnswer: false }).then((services) => handle(createApp({ ...services, answerLimitBytes: LAMBDA_ANSWER_BYTES })));
  // A failed start is not cached: the next invocation tries again.
  app.catch(() => (app = undefined));
  return app;
}

export const handler: ReturnType<typeof handle> = async (event, context) => (await start())(event, context);

import { startEndpointServer, type RunningServer } from "@semla/endpoint/server";
import type { App } from "./app.js";
import { ApiError, errorReply } from "./http/errors.js";

export type { RunningServer };

/**
 * Serves the app over HTTP on Node (the endpoint's server, shared); port 0 picks a free one (tests).
 * What Node's parser refuses before the app runs (an oversized head) is answered as the API's own.
 */
export function startServer(app: App, { port, hostname = "127.0.0.1" }: { port: number; hostname?: string }): Promise<RunningServer> {
  return startEndpointServer(app, { port, hostname, refuse: (refusal) => errorReply(new ApiError(refusal.rule, refusal.message, refusal.details)) });
}

import { startEndpointServer, type RunningServer } from "@semla/endpoint/server";
import type { App } from "./app.js";

export type { RunningServer };

/** Serves the app over HTTP on Node (the endpoint's server, shared); port 0 picks a free one (tests). */
export function startServer(app: App, { port, hostname = "127.0.0.1" }: { port: number; hostname?: string }): Promise<RunningServer> {
  return startEndpointServer(app, { port, hostname });
}

import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** What serving needs of a Hono app (any app: the endpoint's, the API's). */
export type FetchApp = { readonly fetch: Parameters<typeof serve>[0]["fetch"] };

/** Serves the app over HTTP; port 0 picks a free one (tests). */
export async function startEndpointServer(app: FetchApp, { port, hostname = "0.0.0.0" }: { port: number; hostname?: string }): Promise<RunningServer> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started: ServerType = serve({ fetch: app.fetch, port, hostname }, () => resolve(started));
    started.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const host = hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ("closeAllConnections" in server) server.closeAllConnections(); // keep-alive sockets would hold close() open
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

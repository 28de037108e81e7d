// Test helper (not exported): a loopback TCP proxy in front of a real service, to take it away and
// bring it back without stopping it (the shared PostgreSQL cluster and s3rver serve other test
// files at the same time).

import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** 127.0.0.1:port, the same for the proxy's whole life. */
  readonly host: string;
  readonly port: number;
  /**
   * The service goes away as a stopped server does: open connections are reset and new ones
   * refused (the port no longer listens).
   */
  cut(): Promise<void>;
  /**
   * The service hangs as a stuck server does: connections are accepted (and open ones kept) but
   * nothing is forwarded either way.
   */
  hang(): Promise<void>;
  /** Back to forwarding, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

type Mode = "up" | "hung" | "down";

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: Mode = "up";
  const pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();

  const onConnection = (client: Socket) => {
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
    pairs.add(pair);
    client.on("error", () => {});
    client.on("close", () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (mode === "hung") {
      client.pause();
      return;
    }
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const port = await listen(0);

  return {
    host: "127.0.0.1",
    port,
    async cut() {
      mode = "down";
      const closed = stopListening();
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream?.destroy();
      }
      await closed;
    },
    async hang() {
      mode = "hung";
      for (const { client, upstream } of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    async restore() {
      if (mode === "down") {
        server = createServer(onConnection);
        await listen(port);
      } else if (mode === "hung") {
        // Connections held while hung carry half-sent requests: end them, as a restarted server would.
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream?.destroy();
        }
      }
      mode = "up";
    },
    async close() {
      mode = "down";
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      if (server.listening) await stopListening();
    },
  };
}

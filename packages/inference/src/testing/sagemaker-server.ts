// Test helper (not exported from the package): a loopback HTTP server answering from a script.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export type Reply = { readonly status: number; readonly body?: string | Uint8Array; readonly headers?: Record<string, string> } | "hang";

export interface ScriptedServer {
  readonly url: string;
  readonly requests: { readonly method: string; readonly path: string; readonly headers: IncomingHttpHeaders; readonly body: Uint8Array }[];
  close(): Promise<void>;
}

/** Answers the n-th request with script[n] (the last entry repeats); "hang" never answers. */
export async function scriptedServer(script: readonly Reply[]): Promise<ScriptedServer> {
  const requests: ScriptedServer["requests"] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({ method: request.method ?? "", path: request.url ?? "", headers: request.headers, body: new Uint8Array(Buffer.concat(chunks)) });
      const reply = script[Math.min(requests.length - 1, script.length - 1)] ?? { status: 500 };
      if (reply === "hang") return;
      response.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      response.end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

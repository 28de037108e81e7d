import { maxHeaderSize, type Server, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type ServerType, serve } from "@hono/node-server";
import type { ErrorReply } from "@semla/core";
import { EndpointError, errorReply } from "./errors.js";

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** What serving needs of a Hono app (any app: the endpoint's, the API's). */
export type FetchApp = { readonly fetch: Parameters<typeof serve>[0]["fetch"] };

/** A request Node's HTTP parser refused before any app saw it, as an app's error family names it. */
export interface ParserRefusal {
  readonly rule: "headers-too-large" | "malformed-request";
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** The reply of each app's error family for a parser refusal (the endpoint's own by default). */
export type RefusalReply = (refusal: ParserRefusal) => ErrorReply;

/**
 * What Node refused, or undefined for what is not the request's fault (a time-out, a reset). Node
 * cannot tell a long URL from long headers: both overflow its one limit on the request head.
 */
export function parserRefusalOf(error: NodeJS.ErrnoException): ParserRefusal | undefined {
  if (error.code === "HPE_HEADER_OVERFLOW") {
    return {
      rule: "headers-too-large",
      message: `the request line and headers are over the server's ${maxHeaderSize}-byte limit: shorten the URL (its query string) or the headers`,
      details: { limit: maxHeaderSize },
    };
  }
  if (error.code?.startsWith("HPE_")) return { rule: "malformed-request", message: `the request is not valid HTTP/1.1 (${error.code})`, details: { reason: error.code } };
  return undefined;
}

const endpointRefusal: RefusalReply = (refusal) => errorReply(new EndpointError(refusal.rule, refusal.message, refusal.details));

/** A whole HTTP/1.1 response with the JSON error body, written to the socket by hand (no app ran). */
function rawResponse(reply: ErrorReply): string {
  const body = JSON.stringify(reply.body);
  return `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Node answers a request its parser refuses with a bare status line (431 for an oversized head, 400
 * otherwise) and no body. This answers with the service's JSON error shape instead, and closes the
 * connection (the rest of what the client sent is unread). As Node does, nothing is written once a
 * response on the socket has begun; a time-out keeps Node's 408.
 */
function answerClientErrors(server: Server, refuse: RefusalReply): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    const mayAnswer = socket.writable && !inFlight?.headersSent;
    const refusal = parserRefusalOf(error);
    if (mayAnswer && refusal) {
      socket.end(rawResponse(refuse(refusal)), () => socket.destroy());
      return;
    }
    if (mayAnswer && error.code === "ERR_HTTP_REQUEST_TIMEOUT") socket.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    socket.destroy();
  });
}

/** Serves the app over HTTP; port 0 picks a free one (tests). */
export async function startEndpointServer(app: FetchApp, { port, hostname = "0.0.0.0", refuse = endpointRefusal }: { port: number; hostname?: string; refuse?: RefusalReply }): Promise<RunningServer> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started: ServerType = serve({ fetch: app.fetch, port, hostname }, () => resolve(started));
    started.once("error", reject);
  });
  answerClientErrors(server as Server, refuse);
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

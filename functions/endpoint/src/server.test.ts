import { connect } from "node:net";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startEndpointServer } from "./server.js";

/** Everything the server writes on one connection until it closes it. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)) as unknown;

describe("the Node server: what its HTTP parser refuses gets the JSON error shape, not Node's bare status", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startEndpointServer(
      new Hono().get("/ping", (c) => c.body(null, 200)),
      { port: 0, hostname: "127.0.0.1" },
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers a 20 KB query string (over Node's 16 KiB head) with 431 endpoint.headers-too-large and closes", async () => {
    const response = await fetch(`${server.url}/ping?q=${"a".repeat(20 * 1024)}`);
    expect([response.status, response.headers.get("content-type"), response.headers.get("connection")]).toEqual([431, "application/json", "close"]);
    expect(await response.json()).toEqual({
      error: {
        code: "endpoint.headers-too-large",
        message: "the request line and headers are over the server's 16384-byte limit: shorten the URL (its query string) or the headers",
        details: { rule: "headers-too-large", limit: 16384 },
      },
    });
  });

  it("answers oversized headers the same way", async () => {
    const response = await fetch(`${server.url}/ping`, { headers: { "x-big": "b".repeat(20 * 1024) } });
    expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([431, "endpoint.headers-too-large"]);
  });

  it("answers a request that is not HTTP/1.1 with 400 endpoint.malformed-request", async () => {
    const response = await rawExchange(server.port, "HELLO /ping HTTP/1.1\r\nhost: x\r\n\r\n");
    expect(response.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(bodyOf(response)).toEqual({
      error: { code: "endpoint.malformed-request", message: "the request is not valid HTTP/1.1 (HPE_INVALID_METHOD)", details: { rule: "malformed-request", reason: "HPE_INVALID_METHOD" } },
    });
  });

  it("keeps serving requests that fit after refusing one", async () => {
    await fetch(`${server.url}/ping?q=${"a".repeat(20 * 1024)}`);
    expect((await fetch(`${server.url}/ping?q=${"a".repeat(1024)}`)).status).toBe(200);
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { APIGatewayProxyResult, LambdaContext } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The Lambda entry: the same app behind hono/aws-lambda, services started on the first invocation. */
describe("Lambda handler", () => {
  let dir: string;
  let handler: typeof import("./lambda.js").handler;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-lambda-"));
    process.env.SEMLA_DATA_DIR = dir;
    process.env.SEMLA_LOG_LEVEL = "error";
    ({ handler } = await import("./lambda.js"));
  });
  afterAll(async () => {
    delete process.env.SEMLA_DATA_DIR;
    await rm(dir, { recursive: true, force: true });
  });

  const event = (method: string, rawPath: string, headers: Record<string, string> = {}, rawQueryString = "") => ({
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    headers: { host: "api.example.com", ...headers },
    requestContext: { http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" }, requestId: "lambda-req", stage: "$default", timeEpoch: Date.now() },
    isBase64Encoded: false,
  });
  const invoke = async (method: string, rawPath: string, headers?: Record<string, string>, query?: string) =>
    (await handler(event(method, rawPath, headers, query) as never, {} as LambdaContext)) as APIGatewayProxyResult;

  it("answers API Gateway (HTTP API) events with the app's routes and error shape", async () => {
    const health = await invoke("GET", "/healthz");
    expect([health.statusCode, JSON.parse(health.body)]).toEqual([200, { status: "ok" }]);
    const unauthorised = await invoke("GET", "/v1/libraries");
    expect(unauthorised.statusCode).toBe(401);
    expect(JSON.parse(unauthorised.body).error.code).toBe("api.missing-key");
  }, 60_000);

  it("refuses a URL over LIMITS.urlBytes with the JSON 414, before the key is looked at", async () => {
    const query = `name=${"a".repeat(20 * 1024)}`;
    const long = await invoke("GET", "/v1/adapters", {}, query);
    expect([long.statusCode, JSON.parse(long.body)]).toEqual([
      414,
      {
        error: {
          code: "api.uri-too-long",
          message: `the URL's path and query string are ${"/v1/adapters?".length + query.length} bytes, over the 8192-byte limit`,
          details: { limit: 8192, bytes: "/v1/adapters?".length + query.length },
        },
      },
    ]);
    const fits = await invoke("GET", "/v1/adapters", {}, `name=${"a".repeat(8192 - "/v1/adapters?name=".length)}`);
    expect([fits.statusCode, JSON.parse(fits.body).error.code]).toEqual([401, "api.missing-key"]);
  });
});

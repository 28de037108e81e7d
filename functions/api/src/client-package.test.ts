import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createClient, DEFAULT_RETRY_AFTER_SECONDS } from "@semla/client";
import { RETRY_AFTER_SECONDS } from "@semla/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_TYPES_FILE, clientTypesText } from "../../../scripts/write-client.js";
import type { RunningServer } from "./server.js";
import { STUB_KEY, startStubApp } from "./testing/stub-app.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** @semla/client against this API: its types are the served document's, and it talks to the real HTTP server. */
describe("@semla/client fits the API", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startStubApp();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("keeps the types the API's document generates now (`npm run client` rewrites them after a route changes)", async () => {
    expect(readFileSync(`${ROOT}${CLIENT_TYPES_FILE}`, "utf8")).toBe(await clientTypesText());
  });

  it("falls back to the API's own Retry-After, core's RETRY_AFTER_SECONDS", () => {
    expect(DEFAULT_RETRY_AFTER_SECONDS).toBe(RETRY_AFTER_SECONDS);
  });

  it("calls the API over HTTP: a typed answer, the key as a bearer token, a typed error body", async () => {
    const health = await createClient(`${server.url}/`).GET("/healthz");
    expect([health.response.status, health.data]).toEqual([200, { status: "ok" }]);
    const refused = await createClient(server.url, "semla_wrong").GET("/v1/libraries");
    expect([refused.response.status, refused.error?.error.code]).toEqual([401, "api.invalid-key"]);
    // The stub's key passes authentication; the stub has no registry behind it, so the route fails inside (500, no internals).
    const authenticated = await createClient(server.url, STUB_KEY).GET("/v1/libraries");
    expect([authenticated.response.status, authenticated.error?.error.code]).toEqual([500, "api.internal"]);
  });
});

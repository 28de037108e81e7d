import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCS_CSP } from "../routes/docs.js";
import type { RunningServer } from "../server.js";
import { STUB_KEY, startStubApp } from "../testing/stub-app.js";

/** Method, header and CORS handling, through the real HTTP server (the app on stub dependencies). */
describe("what every answer carries, and a wrong method", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startStubApp();
  });
  afterAll(async () => {
    await server?.close();
  });
  const call = (method: string, route: string, headers: Record<string, string> = {}) => fetch(`${server.url}${route}`, { method, headers });
  const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

  it("GET on a POST-only route answers 405 api.method-not-allowed with Allow, before authentication", async () => {
    for (const headers of [{}, { authorization: `Bearer ${STUB_KEY}` }] as Record<string, string>[]) {
      const reply = await call("GET", "/v1/route", headers);
      expect([reply.status, reply.headers.get("allow"), await codeOf(reply)]).toEqual([405, "POST", "api.method-not-allowed"]);
    }
  });

  it("Allow lists every method a path with parameters takes (HEAD wherever GET), and a wrong method on it is 405", async () => {
    const reply = await call("PUT", "/v1/adapters/6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f");
    expect([reply.status, reply.headers.get("allow")]).toEqual([405, "DELETE, GET, HEAD"]);
    expect((await call("POST", "/healthz")).headers.get("allow")).toBe("GET, HEAD");
  });

  it("an unknown path stays 404 (behind the key), a right method is not refused", async () => {
    const missing = await call("GET", "/v1/nothing", { authorization: `Bearer ${STUB_KEY}` });
    expect([missing.status, await codeOf(missing)]).toEqual([404, "api.not-found"]);
    expect((await call("GET", "/healthz")).status).toBe(200);
    expect((await call("POST", "/v1/route")).status).toBe(401);
  });

  it("every answer, success or error, carries X-Content-Type-Options: nosniff and Cache-Control: no-store", async () => {
    for (const reply of [await call("GET", "/healthz"), await call("GET", "/openapi.json"), await call("GET", "/v1/libraries"), await call("GET", "/v1/route"), await call("GET", "/nowhere")]) {
      expect([reply.status, reply.headers.get("x-content-type-options"), reply.headers.get("cache-control")]).toEqual([reply.status, "nosniff", "no-store"]);
    }
  });

  it("CORS is off by default: no Access-Control-* headers, and a preflight is not answered as one", async () => {
    const reply = await call("GET", "/healthz", { origin: "https://app.example.com" });
    expect([...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
    const preflight = await call("OPTIONS", "/v1/route", { origin: "https://app.example.com", "access-control-request-method": "POST" });
    expect([preflight.status, preflight.headers.get("access-control-allow-origin"), preflight.headers.get("allow")]).toEqual([405, null, "POST"]);
  });
});

describe("CORS with SEMLA_CORS_ORIGINS set", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startStubApp({ corsOrigins: ["https://app.example.com"] });
  });
  afterAll(async () => {
    await server?.close();
  });
  const call = (method: string, route: string, headers: Record<string, string> = {}) => fetch(`${server.url}${route}`, { method, headers });

  it("answers a listed origin's preflight 204 without a key, naming the methods and the key headers", async () => {
    const preflight = await call("OPTIONS", "/v1/segment", {
      origin: "https://app.example.com",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith("access-control-")))).toEqual({
      "access-control-allow-origin": "https://app.example.com",
      "access-control-allow-methods": "GET,POST,PUT,DELETE",
      "access-control-allow-headers": "authorization,x-api-key,content-type,x-request-id",
      "access-control-expose-headers": "x-request-id,retry-after,content-disposition,etag",
      "access-control-max-age": "600",
    });
  });

  it("lets a listed origin read answers, errors included (a browser shows the 401's code), and never allows credentials", async () => {
    const refused = await call("GET", "/v1/libraries", { origin: "https://app.example.com" });
    expect([refused.status, refused.headers.get("access-control-allow-origin"), refused.headers.get("access-control-allow-credentials")]).toEqual([401, "https://app.example.com", null]);
  });

  it("gives an origin not listed no Access-Control-Allow-Origin", async () => {
    const reply = await call("GET", "/healthz", { origin: "https://evil.example.com" });
    expect([reply.status, reply.headers.get("access-control-allow-origin")]).toEqual([200, null]);
    const preflight = await call("OPTIONS", "/v1/segment", { origin: "https://evil.example.com", "access-control-request-method": "POST" });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("`*` allows any origin", async () => {
    const any = await startStubApp({ corsOrigins: ["*"] });
    try {
      const reply = await fetch(`${any.url}/healthz`, { headers: { origin: "https://anywhere.example.org" } });
      expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      await any.close();
    }
  });
});

describe("the interactive reference at /docs", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startStubApp();
  });
  afterAll(async () => {
    await server?.close();
  });
  const dist = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

  it("is an HTML page that loads only its own assets and the document, by relative URLs, under a policy that forbids other origins", async () => {
    const page = await fetch(`${server.url}/docs`);
    expect([page.status, page.headers.get("content-type"), page.headers.get("content-security-policy")]).toEqual([200, "text/html; charset=UTF-8", DOCS_CSP]);
    const html = await page.text();
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual(["docs/swagger-ui.css", "docs/swagger-ui-bundle.js", "docs/init.js"]);
    expect(DOCS_CSP).toMatch(/default-src 'none'; script-src 'self';/);
    expect(DOCS_CSP).toContain("connect-src 'self'");
  });

  it("serves swagger-ui-dist's files byte for byte, with their types and a day's caching", async () => {
    for (const [name, type] of [
      ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
      ["swagger-ui.css", "text/css; charset=utf-8"],
    ] as const) {
      const reply = await fetch(`${server.url}/docs/${name}`);
      expect([reply.status, reply.headers.get("content-type"), reply.headers.get("cache-control"), reply.headers.get("x-content-type-options")]).toEqual([
        200,
        type,
        "public, max-age=86400",
        "nosniff",
      ]);
      expect(Buffer.from(await reply.arrayBuffer()).equals(readFileSync(path.join(dist, name)))).toBe(true);
    }
    expect((await fetch(`${server.url}/docs/index.html`)).status).toBe(404);
  });

  it("starts Swagger UI on the served document, with the validator badge (a call to validator.swagger.io) off", async () => {
    const init = await (await fetch(`${server.url}/docs/init.js`)).text();
    expect(init).toContain('url: "openapi.json"');
    expect(init).toContain("validatorUrl: null");
    expect(init).not.toMatch(/https?:/);
  });
});

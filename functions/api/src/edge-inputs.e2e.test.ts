import { type ApiKeyStore, hashApiKey } from "@semla/registry";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "./app.js";
import { type RunningServer, startServer } from "./server.js";
import { type E2eStack, keysUnder, startE2eStack } from "./testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, pngImage, tinyAdapterFiles } from "./testing/fixtures.js";

/**
 * Issue 11's bad strings, long URLs, re-uploads, logs and key floods, each as the exact request
 * through the real HTTP API (PostgreSQL + pgvector, s3rver): a 4xx with the JSON error shape naming
 * what was wrong, and nothing stored.
 */
describe("edge inputs through the real HTTP API", () => {
  let stack: E2eStack;
  let key: string;
  let libraryId: string;
  let dimension: number;
  let image: string;

  type Reply = { status: number; headers: Headers; body?: Record<string, any> };
  const call = async (
    method: string,
    path: string,
    options: { key?: string; body?: unknown; raw?: NonNullable<RequestInit["body"]>; headers?: Record<string, string>; url?: string } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...options.headers };
    let body = options.raw;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${options.url ?? stack.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  /** Status, code, the first issue's path and message: what a client sees of a refused field. */
  const refusal = (reply: Reply) => [reply.status, reply.body?.error?.code, reply.body?.error?.details?.issues?.[0]?.path, reply.body?.error?.details?.issues?.[0]?.message];
  const adapterNames = async () => ((await call("GET", `/v1/adapters?libraryId=${libraryId}&limit=500`, { key })).body!.items as { name: string }[]).map((a) => a.name).sort();
  const configOf = (files: { config: string | Uint8Array }) => JSON.parse(typeof files.config === "string" ? files.config : new TextDecoder().decode(files.config)) as Record<string, unknown>;

  beforeAll(async () => {
    stack = await startE2eStack({ postgresUrl: inject("postgresUrl"), s3Endpoint: inject("s3Endpoint") });
    ({ key } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const created = await call("POST", "/v1/libraries", { key, body: { name: "street", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension } });
    expect(created.status).toBe(201);
    libraryId = created.body!.id;
    image = Buffer.from(await pngImage(16, 16, [90, 120, 200])).toString("base64");
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  describe("a NUL (U+0000) or a lone surrogate in any string is a 400 naming the field; nothing is stored", () => {
    const nul = (index: number) => `contains a NUL character (U+0000) at index ${index}, which cannot be stored`;

    it("library name (JSON body), and a lone surrogate in its base model", async () => {
      expect(refusal(await call("POST", "/v1/libraries", { key, body: { name: "street\u0000", baseModelId: BASE_MODEL, embeddingModelId: "clip-tiny", dimension } }))).toEqual([
        400,
        "api.invalid-request",
        ["name"],
        nul(6),
      ]);
      const raw = `{"name":"alps","baseModelId":"base\\ud800","embeddingModelId":"clip-tiny","dimension":${dimension}}`;
      expect(refusal(await call("POST", "/v1/libraries", { key, raw, headers: { "content-type": "application/json" } }))).toEqual([
        400,
        "api.invalid-request",
        ["baseModelId"],
        "is not well-formed Unicode (a lone UTF-16 surrogate at index 4), which cannot be stored",
      ]);
      expect(((await call("GET", "/v1/libraries", { key })).body!.items as { name: string }[]).map((l) => l.name)).toEqual(["street"]);
    });

    it("adapter name (multipart form) and a config value (multipart file, refused at the registry's seam)", async () => {
      const files = tinyAdapterFiles(stack.models, 11);
      const centroid = JSON.stringify(axis(dimension, 0));
      expect(refusal(await call("POST", "/v1/adapters", { key, raw: adapterForm({ libraryId, name: "fog\u0000", files, centroid }) }))).toEqual([400, "api.invalid-request", ["name"], nul(3)]);
      const config = JSON.stringify({ ...configOf(files), task_type: "SEG\u0000" });
      const seam = await call("POST", "/v1/adapters", { key, raw: adapterForm({ libraryId, name: "fog", files: { config, weights: files.weights }, centroid }) });
      expect([seam.status, seam.body]).toEqual([
        400,
        {
          error: {
            code: "registry.invalid-text",
            message: `config.task_type ${nul(3)}`,
            details: { rule: "invalid-text", field: "config.task_type", problem: "contains a NUL character (U+0000) at index 3" },
          },
        },
      ]);
      expect(await adapterNames()).toEqual([]);
      expect(await keysUnder(stack.store, "adapters/")).toEqual([]);
    });

    it("adapter config of a presigned upload (JSON body)", async () => {
      const files = tinyAdapterFiles(stack.models, 12);
      const body = { libraryId, name: "rain", config: { ...configOf(files), task_type: "SEG\u0000" }, centroid: axis(dimension, 1), weightsBytes: files.weights.byteLength };
      expect(refusal(await call("POST", "/v1/adapters/uploads", { key, body }))).toEqual([400, "api.invalid-request", ["config", "task_type"], nul(3)]);
      expect(await keysUnder(stack.store, "uploads/")).toEqual([]);
    });

    it("exclude entry and adapter name in the options of route and segment", async () => {
      const route = await call("POST", "/v1/route", { key, body: { libraryId, embedding: axis(dimension, 0), options: { exclude: ["fog", "rain\u0000"] } } });
      expect(refusal(route)).toEqual([400, "api.invalid-request", ["options", "exclude", 1], nul(4)]);
      const segment = await call("POST", "/v1/segment", { key, body: { libraryId, image, classNames: ["sky"], options: { mode: "adapter", adapter: "\u0000fog" } } });
      expect(refusal(segment)).toEqual([400, "api.invalid-request", ["options", "adapter"], nul(0)]);
      const excluded = await call("POST", "/v1/segment", { key, body: { libraryId, image, classNames: ["sky"], options: { exclude: ["\u0000"] } } });
      expect(refusal(excluded)).toEqual([400, "api.invalid-request", ["options", "exclude", 0], nul(0)]);
    });

    it("query filter, cursor and library id in query strings (%00)", async () => {
      expect(refusal(await call("GET", `/v1/adapters?libraryId=${libraryId}&name=fog%00`, { key }))).toEqual([400, "api.invalid-request", ["name"], nul(3)]);
      expect(refusal(await call("GET", `/v1/adapters?libraryId=${libraryId}&cursor=%00`, { key }))).toEqual([400, "api.invalid-request", ["cursor"], nul(0)]);
      expect(refusal(await call("GET", `/v1/stats/contributions?libraryId=%00`, { key }))).toEqual([400, "api.invalid-request", ["libraryId"], nul(0)]);
    });
  });

  describe("a request refused before its body is read tells the client to close the connection", () => {
    // Found by the fuzz suite: the server drains an unread body for a while, then drops the socket
    // under a client that was about to reuse it ("other side closed" on its next request).
    it("wrong media type, missing key, unknown route: Connection: close; a body that was read keeps the connection", async () => {
      const body = "x".repeat(400_000);
      const wrongType = await call("POST", "/v1/route", { key, raw: body, headers: { "content-type": "text/plain" } });
      const noKey = await call("POST", "/v1/segment", { raw: body, headers: { "content-type": "application/json" } });
      const noRoute = await call("POST", "/v1/nowhere", { key, raw: body, headers: { "content-type": "application/json" } });
      expect([wrongType, noKey, noRoute].map((r) => [r.status, r.body?.error?.code, r.headers.get("connection")])).toEqual([
        [415, "api.unsupported-media-type", "close"],
        [401, "api.missing-key", "close"],
        [404, "api.not-found", "close"],
      ]);
      const read = await call("POST", "/v1/libraries", { key, body: { name: "", baseModelId: BASE_MODEL, embeddingModelId: "clip-tiny", dimension } });
      expect([read.status, read.headers.get("connection")]).toEqual([400, "keep-alive"]);
    });
  });

  describe("long URLs get the JSON error shape, not Node's bare 431", () => {
    it("a 10 KB query string: 414 api.uri-too-long from the app (as on Lambda), connection closed", async () => {
      const path = `/v1/adapters?name=${"a".repeat(10 * 1024)}`;
      const reply = await call("GET", path, { key });
      expect([reply.status, reply.headers.get("content-type"), reply.headers.get("connection"), reply.body]).toEqual([
        414,
        "application/json",
        "close",
        { error: { code: "api.uri-too-long", message: `the URL's path and query string are ${path.length} bytes, over the 8192-byte limit`, details: { limit: 8192, bytes: path.length } } },
      ]);
    });

    it("a 20 KB query string: 431 api.headers-too-large from the Node server, connection closed", async () => {
      const reply = await call("GET", `/v1/adapters?name=${"a".repeat(20 * 1024)}`, { key });
      expect([reply.status, reply.headers.get("content-type"), reply.headers.get("connection"), reply.body]).toEqual([
        431,
        "application/json",
        "close",
        {
          error: {
            code: "api.headers-too-large",
            message: "the request line and headers are over the server's 16384-byte limit: shorten the URL (its query string) or the headers",
            details: { limit: 16384 },
          },
        },
      ]);
      expect((await call("GET", "/healthz")).status).toBe(200);
    });
  });

  describe("re-uploading the same weights declared differently", () => {
    it("multipart: 409 registry.conflict naming what differs; the identical re-upload returns the same adapter (200)", async () => {
      const files = tinyAdapterFiles(stack.models, 21);
      const form = (config: string | Uint8Array, centroid: number[]) => adapterForm({ libraryId, name: "dusk", files: { config, weights: files.weights }, centroid: JSON.stringify(centroid) });
      const first = await call("POST", "/v1/adapters", { key, raw: form(files.config, axis(dimension, 2)) });
      expect(first.status).toBe(201);
      const adapter = first.body!.adapter as { id: string; sha256: string };
      const conflict = (differences: string[]) => [
        409,
        {
          error: {
            code: "registry.conflict",
            message: `adapter dusk version 1 has these weights with a different ${differences.join(", ")}: delete it first, or register these under another name`,
            details: { rule: "conflict", adapterId: adapter.id, version: 1, sha256: adapter.sha256, differences },
          },
        },
      ];
      const alpha = await call("POST", "/v1/adapters", { key, raw: form(JSON.stringify({ ...configOf(files), lora_alpha: 64 }), axis(dimension, 2)) });
      expect([alpha.status, alpha.body]).toEqual(conflict(["config.lora_alpha"]));
      const moved = await call("POST", "/v1/adapters", { key, raw: form(files.config, axis(dimension, 3)) });
      expect([moved.status, moved.body]).toEqual(conflict(["centroid"]));
      const same = await call("POST", "/v1/adapters", { key, raw: form(files.config, axis(dimension, 2)) });
      expect([same.status, same.body]).toEqual([200, { created: false, adapter: first.body!.adapter }]);
      expect(await adapterNames()).toEqual(["dusk"]);
    });

    it("presigned upload: completing with another config is the same 409, and the upload is used up", async () => {
      const files = tinyAdapterFiles(stack.models, 22);
      const first = await call("POST", "/v1/adapters", { key, raw: adapterForm({ libraryId, name: "haze", files, centroid: JSON.stringify(axis(dimension, 4)) }) });
      expect(first.status).toBe(201);
      const upload = async (config: Record<string, unknown>) => {
        const grant = await call("POST", "/v1/adapters/uploads", { key, body: { libraryId, name: "haze", config, centroid: axis(dimension, 4), weightsBytes: files.weights.byteLength } });
        expect(grant.status).toBe(201);
        expect((await fetch(grant.body!.upload.url, { method: "PUT", headers: grant.body!.upload.headers, body: files.weights })).status).toBe(200);
        return call("POST", `/v1/adapters/uploads/${grant.body!.uploadId}/complete`, { key });
      };
      const differing = await upload({ ...configOf(files), lora_dropout: 0.1, task_type: "SEMANTIC_SEGMENTATION" });
      expect([differing.status, differing.body!.error.code, differing.body!.error.details.differences]).toEqual([409, "registry.conflict", ["config.lora_dropout", "config.task_type"]]);
      const identical = await upload(configOf(files));
      expect([identical.status, identical.body]).toEqual([200, { created: false, adapter: first.body!.adapter }]);
      expect(await keysUnder(stack.store, "uploads/")).toEqual([]);
    });
  });

  describe("logs", () => {
    it("a failing key lookup's log line has the SQL shape, never the key's sha256 or the query parameters", async () => {
      const { key: fresh } = await stack.tenant();
      // The lookup's column gone: every key lookup now fails in PostgreSQL, with the hash as its parameter.
      await stack.services.index.db.execute("ALTER TABLE api_keys RENAME COLUMN key_hash TO key_hash_hidden");
      try {
        const reply = await call("GET", "/v1/libraries", { key: fresh, headers: { "x-request-id": "failing-lookup" } });
        expect([reply.status, reply.body]).toEqual([500, { error: { code: "api.internal", message: "internal error", details: {} } }]);
      } finally {
        await stack.services.index.db.execute("ALTER TABLE api_keys RENAME COLUMN key_hash_hidden TO key_hash");
      }
      const lines = stack.logs.filter((line) => line.includes("failing-lookup"));
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === "internal error");
      expect(logged).toMatchObject({
        level: "error",
        error: "failed query",
        name: "Error",
        query: expect.stringMatching(/^select .* from "api_keys" where \("api_keys"\."key_hash" = \$1 and "api_keys"\."revoked_at" is null\)$/),
        causes: [{ name: "error", code: "42703", severity: "ERROR", routine: expect.any(String), message: "column api_keys.key_hash does not exist" }],
      });
      for (const line of lines) {
        expect(line).not.toContain(hashApiKey(fresh));
        expect(line).not.toContain(fresh);
        expect(line).not.toContain("params");
      }
    });
  });

  describe("invalid-key floods", () => {
    let server: RunningServer;
    const lookups: string[] = [];
    beforeAll(async () => {
      // The same services, counting the key lookups that reach PostgreSQL.
      const apiKeys: ApiKeyStore = { ...stack.services.apiKeys, authenticate: (k) => (lookups.push(k), stack.services.apiKeys.authenticate(k)) };
      server = await startServer(createApp({ ...stack.services, apiKeys }), { port: 0 });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("200 requests with one invalid key, 100 at once then 100 in turn, reach the database once; all 401", async () => {
      lookups.length = 0;
      const attempt = () => call("GET", "/v1/libraries", { key: "semla_flood", url: server.url });
      const replies = [...(await Promise.all(Array.from({ length: 100 }, attempt)))];
      for (let i = 0; i < 100; i++) replies.push(await attempt());
      expect(new Set(replies.map((r) => `${r.status} ${r.body!.error.code}`))).toEqual(new Set(["401 api.invalid-key"]));
      expect(lookups).toEqual(["semla_flood"]);
    });

    it("50 distinct invalid keys, each sent twice, reach the database 50 times; a valid key still works", async () => {
      lookups.length = 0;
      const guesses = Array.from({ length: 50 }, (_, i) => `semla_guess-${i}`);
      for (const guess of [...guesses, ...guesses]) expect((await call("GET", "/v1/libraries", { key: guess, url: server.url })).status).toBe(401);
      expect(lookups).toEqual(guesses);
      expect((await call("GET", "/v1/libraries", { key, url: server.url })).status).toBe(200);
    });
  });
});

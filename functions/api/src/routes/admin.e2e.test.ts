import { randomUUID } from "node:crypto";
import { bytesSource, peft } from "@semla/core";
import { hashApiKey, newAdapterOf } from "@semla/registry";
import { adapterObjectKey, libraryPrefix, sha256Hex } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../app.js";
import { type E2eStack, keysUnder, startE2eStack } from "../testing/e2e-harness.js";
import { axis, BASE_MODEL, tinyAdapterFiles } from "../testing/fixtures.js";

const ADMIN_TOKEN = "semla_admin_test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/** The operator's routes on real PostgreSQL and S3: API keys of every tenant, and the sweep. */
describe("admin routes", () => {
  let stack: E2eStack;
  const call = async (method: string, path: string, options: { token?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${stack.url}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const admin = (method: string, path: string, body?: unknown) => call(method, path, { token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) });
  const statusAndCode = (reply: { status: number; body?: Record<string, any> }) => [reply.status, reply.body?.error?.code];

  beforeAll(async () => {
    stack = await startE2eStack({ postgresUrl: inject("postgresUrl"), s3Endpoint: inject("s3Endpoint"), adminTokenSha256: hashApiKey(ADMIN_TOKEN) });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("need the admin token: none is 401 api.missing-admin-token, a tenant's API key 401 api.invalid-admin-token", async () => {
    const { key } = await stack.tenant();
    expect(statusAndCode(await call("GET", "/v1/admin/keys"))).toEqual([401, "api.missing-admin-token"]);
    expect(statusAndCode(await call("GET", "/v1/admin/keys", { token: key }))).toEqual([401, "api.invalid-admin-token"]);
    expect(statusAndCode(await call("POST", "/v1/admin/sweep", { token: `${ADMIN_TOKEN}x`, body: {} }))).toEqual([401, "api.invalid-admin-token"]);
  });

  it("are off (501 api.not-available) where no admin token is configured", async () => {
    const app = createApp({ ...stack.services, adminTokenSha256: undefined } as Parameters<typeof createApp>[0]);
    const reply = await app.request("/v1/admin/keys", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(reply.status).toBe(501);
    expect(((await reply.json()) as { error: { code: string } }).error.code).toBe("api.not-available");
  });

  it("create a key for a tenant (shown once), list it without the key or its hash, and revoke it: the next request with it is 401 although it was just cached", async () => {
    const tenant = `acme-${randomUUID().slice(0, 8)}`;
    const created = await admin("POST", "/v1/admin/keys", { tenant, name: "ci" });
    expect(created.status).toBe(201);
    const key = created.body!.key as string;
    expect(created.body).toMatchObject({ tenant, name: "ci", lastUsedAt: null, revokedAt: null, key: expect.stringMatching(/^semla_/) });
    expect((await call("GET", "/v1/libraries", { token: key })).status).toBe(200);

    const listed = await admin("GET", `/v1/admin/keys?tenant=${tenant}`);
    expect(listed.body!.items).toEqual([{ id: created.body!.id, tenant, name: "ci", createdAt: created.body!.createdAt, lastUsedAt: expect.any(String), revokedAt: null }]);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect(JSON.stringify(listed.body)).not.toContain(hashApiKey(key));

    const revoked = await admin("DELETE", `/v1/admin/keys/${created.body!.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.body!.id, tenant, revokedAt: expect.any(String) });
    expect(statusAndCode(await call("GET", "/v1/libraries", { token: key }))).toEqual([401, "api.invalid-key"]);
    // Idempotent: revoking again answers the first revocation.
    expect((await admin("DELETE", `/v1/admin/keys/${created.body!.id}`)).body!.revokedAt).toBe(revoked.body!.revokedAt);
    expect((await admin("GET", `/v1/admin/keys?tenant=${tenant}`)).body!.items[0].revokedAt).toBe(revoked.body!.revokedAt);
  });

  it("answer 404 api.unknown-key for a key that does not exist, and 400 for a tenant with spaces", async () => {
    const missing = "6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f";
    const reply = await admin("DELETE", `/v1/admin/keys/${missing}`);
    expect(statusAndCode(reply)).toEqual([404, "api.unknown-key"]);
    expect(reply.body!.error.details).toEqual({ keyId: missing });
    expect(statusAndCode(await admin("POST", "/v1/admin/keys", { tenant: "a b" }))).toEqual([400, "api.invalid-request"]);
  });

  it("sweep removes the pending row and object an interrupted registration left, and an object no row references", async () => {
    const { tenant, key } = await stack.tenant();
    const dimension = stack.models.imageEncoder.dimension;
    const library = await call("POST", "/v1/libraries", { token: key, body: { name: "sweep", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension } });
    const libraryId = library.body!.id as string;
    // What registerAdapter leaves when the process dies between the object and `active`.
    const files = tinyAdapterFiles(stack.models, 91);
    const adapter = await peft.readLoraAdapter({ config: files.config, weights: bytesSource(files.weights) });
    const sha256 = sha256Hex(files.weights);
    const pending = await stack.services.index.insertPending(
      newAdapterOf({ libraryId, name: "interrupted", adapter, byteSize: files.weights.byteLength, sha256, centroid: new Float32Array(axis(dimension, 0)), sampleCount: null }),
    );
    const { id } = pending;
    await stack.store.put(pending.objectKey, files.weights);
    const orphan = adapterObjectKey({ libraryId, adapterId: randomUUID(), version: 1, sha256 });
    await stack.store.put(orphan, files.weights);

    // Younger than the default 15 minutes: spared (it could be an upload in flight).
    expect((await admin("POST", "/v1/admin/sweep")).body).toEqual({ pendingRemoved: 0, orphansRemoved: 0 });
    expect((await admin("POST", "/v1/admin/sweep", { olderThanSeconds: 0 })).body).toEqual({ pendingRemoved: 1, orphansRemoved: 1 });
    expect(await stack.services.index.getAdapter(tenant, id)).toBeUndefined();
    expect(await keysUnder(stack.store, libraryPrefix(libraryId))).toEqual([]);
  });
});

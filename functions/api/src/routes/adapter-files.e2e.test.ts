import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesSource, peft } from "@semla/core";
import { newAdapterOf } from "@semla/registry";
import { sha256Hex } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type E2eStack, startE2eStack } from "../testing/e2e-harness.js";
import { adapterForm, BASE_MODEL, tinyAdapterFiles } from "../testing/fixtures.js";

/** GET /v1/adapters/{id}/files through the real HTTP API (PostgreSQL + pgvector, s3rver). */
describe("an adapter's files back out (GET /v1/adapters/{id}/files)", () => {
  let stack: E2eStack;
  let key: string;
  let tenant: string;
  let otherKey: string;
  let libraryId: string;
  let dimension: number;
  const get = (path: string, as = key) => fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${as}` } });
  const json = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const errorOf = async (response: Response) => [response.status, ((await response.json()) as { error: { code: string } }).error.code];
  const centroid = () => Array.from({ length: dimension }, (_, i) => (i % 7) / 8 - 0.25);

  beforeAll(async () => {
    stack = await startE2eStack({ postgresUrl: inject("postgresUrl"), s3Endpoint: inject("s3Endpoint") });
    ({ key, tenant } = await stack.tenant());
    ({ key: otherKey } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const created = await json("POST", "/v1/libraries", { name: "files", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension });
    libraryId = created.body.id;
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  async function register(name: string, seed: number) {
    const files = tinyAdapterFiles(stack.models, seed);
    const response = await fetch(`${stack.url}/v1/adapters`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: adapterForm({ libraryId, name, files, centroid: JSON.stringify(centroid()) }),
    });
    expect(response.status).toBe(201);
    return { files, adapter: ((await response.json()) as { adapter: { id: string; sha256: string } }).adapter };
  }

  it("answers the weights byte for byte, the config as registered and the centroid as a float32 .npy that numpy loads", async () => {
    const { files, adapter } = await register("fog", 3);

    const weights = await get(`/v1/adapters/${adapter.id}/files?file=weights`);
    expect(weights.status).toBe(200);
    expect(weights.headers.get("content-type")).toBe("application/octet-stream");
    expect(weights.headers.get("content-disposition")).toBe('attachment; filename="adapter_model.safetensors"');
    expect(weights.headers.get("etag")).toBe(`"${adapter.sha256}"`);
    const weightBytes = new Uint8Array(await weights.arrayBuffer());
    expect(Buffer.from(weightBytes).equals(Buffer.from(files.weights))).toBe(true);
    expect(sha256Hex(weightBytes)).toBe(adapter.sha256);

    const config = await get(`/v1/adapters/${adapter.id}/files?file=config`);
    expect(config.status).toBe(200);
    expect(config.headers.get("content-disposition")).toBe('attachment; filename="adapter_config.json"');
    expect(await config.json()).toEqual(JSON.parse(files.config));

    const npy = await get(`/v1/adapters/${adapter.id}/files?file=centroid`);
    expect(npy.headers.get("content-disposition")).toBe('attachment; filename="centroid.npy"');
    const npyBytes = new Uint8Array(await npy.arrayBuffer());
    expect(npy.headers.get("etag")).toBe(`"${sha256Hex(npyBytes)}"`);
    const folder = mkdtempSync(join(tmpdir(), "semla-files-"));
    writeFileSync(join(folder, "centroid.npy"), npyBytes);
    const python = spawnSync(
      "/usr/bin/python3",
      ["-c", "import json,sys,numpy; a=numpy.load(sys.argv[1]); print(json.dumps([str(a.dtype), list(a.shape), a.tolist()]))", join(folder, "centroid.npy")],
      {
        encoding: "utf8",
      },
    );
    expect(python.stderr).toBe("");
    expect(JSON.parse(python.stdout)).toEqual(["float32", [dimension], centroid()]);
  });

  it("answers 404 registry.unknown-adapter for another tenant's adapter, a deleted one and an unknown id", async () => {
    const { adapter } = await register("rain", 4);
    expect(await errorOf(await get(`/v1/adapters/${adapter.id}/files?file=config`, otherKey))).toEqual([404, "registry.unknown-adapter"]);
    expect(await errorOf(await get(`/v1/adapters/00000000-0000-4000-8000-000000000000/files?file=weights`))).toEqual([404, "registry.unknown-adapter"]);
    expect((await fetch(`${stack.url}/v1/adapters/${adapter.id}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } })).status).toBe(204);
    expect(await errorOf(await get(`/v1/adapters/${adapter.id}/files?file=weights`))).toEqual([404, "registry.unknown-adapter"]);
  });

  it("answers 404 for a pending adapter (a registration under way, or left by a crash)", async () => {
    const files = tinyAdapterFiles(stack.models, 5);
    const adapter = await peft.readLoraAdapter({ config: files.config, weights: bytesSource(files.weights) });
    const pending = await stack.services.index.insertPending(
      newAdapterOf({ libraryId, name: "pending", adapter, byteSize: files.weights.byteLength, sha256: sha256Hex(files.weights), centroid: Float32Array.from(centroid()), sampleCount: null }),
    );
    expect(pending.status).toBe("pending");
    expect(await errorOf(await get(`/v1/adapters/${pending.id}/files?file=config`))).toEqual([404, "registry.unknown-adapter"]);
  });

  it("answers 400 api.invalid-request for a missing or unknown file name", async () => {
    const { adapter } = await register("snow", 6);
    expect(await errorOf(await get(`/v1/adapters/${adapter.id}/files`))).toEqual([400, "api.invalid-request"]);
    expect(await errorOf(await get(`/v1/adapters/${adapter.id}/files?file=model`))).toEqual([400, "api.invalid-request"]);
  });

  it("answers 500 (logged as adapters.integrity), not altered bytes, when the stored weights no longer match their sha256", async () => {
    const { adapter } = await register("dusk", 7);
    const row = await stack.services.index.getAdapter(tenant, adapter.id);
    await stack.store.put(row!.objectKey, new Uint8Array([1, 2, 3]));
    expect(await errorOf(await get(`/v1/adapters/${adapter.id}/files?file=weights`))).toEqual([500, "api.internal"]);
    expect(stack.logs.some((line) => line.includes('"code":"adapters.integrity"') && line.includes("the weights of adapter dusk v1"))).toBe(true);
  });
});

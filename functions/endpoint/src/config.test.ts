import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseServeConfig } from "./config.js";

describe("parseServeConfig", () => {
  it("defaults to the SageMaker container contract", () => {
    expect(parseServeConfig([], {})).toEqual({
      port: 8080,
      host: "0.0.0.0",
      modelDir: "/opt/ml/model",
      preset: "tiny",
      executionProvider: "auto",
      store: { kind: "none" },
      adapterCacheBytes: 2 * 1024 ** 3,
      bodyLimitBytes: 8 * 1024 ** 2,
      bankMemoryBytes: 4 * 1024 ** 3,
      bankBatchWindowMs: 2,
      bankMaxBatch: 8,
    });
  });

  it("reads bank mode's budget, batching window and batch size", () => {
    expect(parseServeConfig([], { SEMLA_BANK_MEMORY_BYTES: "0", SEMLA_BANK_BATCH_WINDOW_MS: "0", SEMLA_BANK_MAX_BATCH: "16" })).toMatchObject({
      bankMemoryBytes: 0,
      bankBatchWindowMs: 0,
      bankMaxBatch: 16,
    });
    expect(() => parseServeConfig([], { SEMLA_BANK_BATCH_WINDOW_MS: "-1" })).toThrow("bankBatchWindowMs: ");
    expect(() => parseServeConfig([], { SEMLA_BANK_MAX_BATCH: "0" })).toThrow("bankMaxBatch: ");
  });

  it("takes flags over the environment", () => {
    const env = { SM_MODEL_DIR: "/env/model", SEMLA_ENDPOINT_PORT: "9000", SEMLA_ADAPTER_BUCKET: "adapters", AWS_REGION: "eu-west-1", SEMLA_EXECUTION_PROVIDER: "cpu" };
    expect(parseServeConfig(["--port", "8081", "--model-dir", "/flag/model", "--models-cache", "/tmp/models"], env)).toMatchObject({
      port: 8081,
      modelDir: "/flag/model",
      modelsCache: "/tmp/models",
      executionProvider: "cpu",
      store: { kind: "s3", bucket: "adapters", region: "eu-west-1" },
    });
    expect(parseServeConfig([], { ...env, SEMLA_ADAPTER_BUCKET: undefined, SEMLA_ADAPTER_ROOT: "/blobs" }).store).toEqual({ kind: "fs", root: "/blobs" });
    expect(parseServeConfig([], { SAGEMAKER_BIND_TO_PORT: "8085" }).port).toBe(8085);
  });

  it("reads the store under the API's variables, the SEMLA_ADAPTER_* ones as deprecated aliases", () => {
    expect(parseServeConfig([], { SEMLA_BUCKET: "b", SEMLA_S3_ENDPOINT: "http://127.0.0.1:4569", AWS_REGION: "eu-west-1" }).store).toEqual({
      kind: "s3",
      bucket: "b",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:4569",
    });
    expect(parseServeConfig([], { SEMLA_ADAPTER_BUCKET: "b", SEMLA_ADAPTER_S3_REGION: "eu-west-2", SEMLA_ADAPTER_S3_ENDPOINT: "http://s3.local" }).store).toEqual({
      kind: "s3",
      bucket: "b",
      region: "eu-west-2",
      endpoint: "http://s3.local",
    });
    expect(parseServeConfig([], { SEMLA_DATA_DIR: "/data" }).store).toEqual({ kind: "fs", root: path.join("/data", "blobs") });
    expect(parseServeConfig([], {}).store).toEqual({ kind: "none" });
  });

  it("refuses bad values clearly", () => {
    expect(() => parseServeConfig(["--port", "http"], {})).toThrow("port: ");
    expect(() => parseServeConfig(["--device", "tpu"], {})).toThrow("executionProvider: ");
    expect(() => parseServeConfig([], { SEMLA_ADAPTER_BUCKET: "b", SEMLA_ADAPTER_ROOT: "/r" })).toThrow(/not both/);
    expect(() => parseServeConfig([], { SEMLA_BUCKET: "b", SEMLA_DATA_DIR: "/d" })).toThrow(/not both/);
    expect(() => parseServeConfig([], { SEMLA_BUCKET: "b", SEMLA_S3_ENDPOINT: "not a url" })).toThrow(/SEMLA_S3_ENDPOINT/);
    expect(() => parseServeConfig(["--bogus"], {})).toThrow(/bogus/);
  });
});

import { describe, expect, it } from "vitest";
import { ConfigError, configuredDatabase, parseConfig } from "./config.js";

describe("API configuration from the environment", () => {
  it("defaults to the embedded default: no database URL, no bucket, local backend, 6 MiB bodies", () => {
    const config = parseConfig({});
    expect([config.SEMLA_DATABASE_URL, config.SEMLA_BUCKET]).toEqual([undefined, undefined]);
    expect(config).toMatchObject({
      SEMLA_BACKEND: "local",
      SEMLA_DATA_DIR: ".semla",
      SEMLA_MODELS_PREFIX: "models/clip-vision/",
      SEMLA_BODY_LIMIT_BYTES: 6 * 1024 * 1024,
      SEMLA_LOG_LEVEL: "info",
      SEMLA_MIGRATE: true,
    });
    expect(config.SEMLA_MODEL_PRESET).toBeUndefined();
  });

  it("serves /metrics to any API key on the API's port by default; SEMLA_METRICS picks who, SEMLA_METRICS_PORT a port of its own", () => {
    const defaults = parseConfig({});
    expect([defaults.SEMLA_METRICS, defaults.SEMLA_METRICS_PORT, defaults.SEMLA_METRICS_HOST, defaults.SEMLA_OTLP_ENDPOINT]).toEqual(["key", undefined, undefined, undefined]);
    expect(parseConfig({ SEMLA_METRICS: "admin", SEMLA_METRICS_PORT: "9464", SEMLA_METRICS_HOST: "10.0.0.2", SEMLA_OTLP_ENDPOINT: "http://collector:4318" })).toMatchObject({
      SEMLA_METRICS: "admin",
      SEMLA_METRICS_PORT: 9464,
      SEMLA_METRICS_HOST: "10.0.0.2",
      SEMLA_OTLP_ENDPOINT: "http://collector:4318",
    });
    expect(parseConfig({ SEMLA_METRICS_PORT: "" }).SEMLA_METRICS_PORT).toBeUndefined();
    expect(() => parseConfig({ SEMLA_METRICS: "public" })).toThrow(/SEMLA_METRICS/);
    expect(() => parseConfig({ SEMLA_METRICS_PORT: "0" })).toThrow(/SEMLA_METRICS_PORT/);
    expect(() => parseConfig({ SEMLA_OTLP_ENDPOINT: "collector" })).toThrow(/SEMLA_OTLP_ENDPOINT/);
  });

  it("reads SEMLA_MIGRATE as a boolean (the deployed API leaves migrations to the migrator) and refuses anything else", () => {
    expect(parseConfig({ SEMLA_MIGRATE: "false" }).SEMLA_MIGRATE).toBe(false);
    expect(parseConfig({ SEMLA_MIGRATE: "true" }).SEMLA_MIGRATE).toBe(true);
    expect(() => parseConfig({ SEMLA_MIGRATE: "sometimes" })).toThrow(/SEMLA_MIGRATE/);
  });

  it("reads the deployed function's variables; empty ones count as unset", () => {
    const config = parseConfig({
      SEMLA_DATABASE_URL: "postgres://u:p@db:5432/semla",
      SEMLA_BUCKET: "b",
      SEMLA_S3_ENDPOINT: "",
      SEMLA_BACKEND: "sagemaker",
      SEMLA_SAGEMAKER_ENDPOINT: "semla-endpoint",
      SEMLA_PORT: "9000",
    });
    expect(config).toMatchObject({ SEMLA_DATABASE_URL: "postgres://u:p@db:5432/semla", SEMLA_BUCKET: "b", SEMLA_SAGEMAKER_ENDPOINT: "semla-endpoint", SEMLA_PORT: 9000 });
    expect(config.SEMLA_S3_ENDPOINT).toBeUndefined();
  });

  it("refuses a SageMaker backend without an endpoint, a non-postgres URL and an unknown backend, naming each", () => {
    expect(() => parseConfig({ SEMLA_BACKEND: "sagemaker" })).toThrow(new ConfigError("invalid configuration: SEMLA_SAGEMAKER_ENDPOINT: required when SEMLA_BACKEND=sagemaker"));
    expect(() => parseConfig({ SEMLA_DATABASE_URL: "mysql://x/y" })).toThrow(/SEMLA_DATABASE_URL/);
    expect(() => parseConfig({ SEMLA_BACKEND: "gpu" })).toThrow(/SEMLA_BACKEND/);
  });

  it("bounds inference, database and sweep times with defaults below the API function's 60 s, and refuses values out of bounds", () => {
    expect(parseConfig({})).toMatchObject({
      SEMLA_BACKEND_TIMEOUT_MS: 30_000,
      SEMLA_BACKEND_MAX_ATTEMPTS: 3,
      SEMLA_DATABASE_CONNECT_TIMEOUT_MS: 20_000,
      SEMLA_DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
      SEMLA_SWEEP_INTERVAL_MS: 900_000,
      SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS: 30,
    });
    expect(parseConfig({ SEMLA_BACKEND_TIMEOUT_MS: "1500", SEMLA_BACKEND_MAX_ATTEMPTS: "1", SEMLA_SWEEP_INTERVAL_MS: "0", SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS: "1" })).toMatchObject({
      SEMLA_BACKEND_TIMEOUT_MS: 1500,
      SEMLA_BACKEND_MAX_ATTEMPTS: 1,
      SEMLA_SWEEP_INTERVAL_MS: 0,
      SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS: 1,
    });
    for (const seconds of ["0", "601", "2.5"]) expect(() => parseConfig({ SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS: seconds })).toThrow(/SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS/);
    expect(() => parseConfig({ SEMLA_BACKEND_TIMEOUT_MS: "50" })).toThrow(/SEMLA_BACKEND_TIMEOUT_MS/);
    expect(() => parseConfig({ SEMLA_BACKEND_TIMEOUT_MS: "900001" })).toThrow(/SEMLA_BACKEND_TIMEOUT_MS/);
    expect(() => parseConfig({ SEMLA_BACKEND_MAX_ATTEMPTS: "0" })).toThrow(/SEMLA_BACKEND_MAX_ATTEMPTS/);
    expect(() => parseConfig({ SEMLA_BACKEND_MAX_ATTEMPTS: "11" })).toThrow(/SEMLA_BACKEND_MAX_ATTEMPTS/);
    expect(() => parseConfig({ SEMLA_BACKEND_MAX_ATTEMPTS: "2.5" })).toThrow(/SEMLA_BACKEND_MAX_ATTEMPTS/);
    expect(() => parseConfig({ SEMLA_DATABASE_CONNECT_TIMEOUT_MS: "0" })).toThrow(/SEMLA_DATABASE_CONNECT_TIMEOUT_MS/);
    expect(() => parseConfig({ SEMLA_DATABASE_STATEMENT_TIMEOUT_MS: "soon" })).toThrow(/SEMLA_DATABASE_STATEMENT_TIMEOUT_MS/);
  });

  describe("Aurora through the Data API (SEMLA_DATA_API_*)", () => {
    const dataApi = {
      SEMLA_DATA_API_RESOURCE_ARN: "arn:aws:rds:eu-west-1:123456789012:cluster:semla-dev",
      SEMLA_DATA_API_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:semla/dev/db-AbC123",
      SEMLA_DATA_API_DATABASE: "semla",
    };

    it("reads the cluster ARN, the secret ARN and the database, with no database URL", () => {
      const config = parseConfig(dataApi);
      expect(config).toMatchObject(dataApi);
      expect([config.SEMLA_DATABASE_URL, config.SEMLA_DATA_API_URL]).toEqual([undefined, undefined]);
    });

    it("needs all three, naming each one missing", () => {
      expect(() => parseConfig({ SEMLA_DATA_API_RESOURCE_ARN: dataApi.SEMLA_DATA_API_RESOURCE_ARN })).toThrow(
        new ConfigError(
          "invalid configuration: SEMLA_DATA_API_SECRET_ARN: required with the other SEMLA_DATA_API_* settings (Aurora through the Data API); SEMLA_DATA_API_DATABASE: required with the other SEMLA_DATA_API_* settings (Aurora through the Data API)",
        ),
      );
    });

    it("refuses a database URL beside them, ARNs of the wrong service, and a Data API URL alone", () => {
      expect(() => parseConfig({ ...dataApi, SEMLA_DATABASE_URL: "postgres://u:p@db:5432/semla" })).toThrow(
        /SEMLA_DATABASE_URL: set either SEMLA_DATABASE_URL or the SEMLA_DATA_API_\* settings, not both/,
      );
      expect(() => parseConfig({ ...dataApi, SEMLA_DATA_API_RESOURCE_ARN: "arn:aws:rds:eu-west-1:123456789012:db:semla-instance" })).toThrow(/SEMLA_DATA_API_RESOURCE_ARN: an Aurora cluster ARN/);
      expect(() => parseConfig({ ...dataApi, SEMLA_DATA_API_SECRET_ARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/db" })).toThrow(/SEMLA_DATA_API_SECRET_ARN: a Secrets Manager secret ARN/);
      expect(() => parseConfig({ ...dataApi, SEMLA_DATA_API_DATABASE: "semla; DROP" })).toThrow(/SEMLA_DATA_API_DATABASE/);
      expect(() => parseConfig({ SEMLA_DATA_API_URL: "http://127.0.0.1:9999" })).toThrow(/SEMLA_DATA_API_URL: only with the SEMLA_DATA_API_\* settings/);
    });

    it("names the database a configuration points at: the one rule serve, keys and sweep follow", () => {
      expect(configuredDatabase(parseConfig({ SEMLA_DATABASE_URL: "postgres://u:p@db:5432/semla" }))).toBe("postgres");
      expect(configuredDatabase(parseConfig(dataApi))).toBe("data-api");
      expect(configuredDatabase(parseConfig({}))).toBeNull();
    });
  });
});

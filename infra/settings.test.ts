import { describe, expect, test } from "vitest";
import { deployOptions, type StageSettings, StageSettingsError, stageSettings, validateSettings } from "./settings";

describe("stage settings", () => {
  test("dev is the smallest stack: Aurora scaling to 0 ACU, the GPU scaling to zero after 15 idle minutes, short retention", () => {
    expect(stageSettings("dev")).toEqual({
      network: "data-api",
      database: { kind: "aurora", minAcu: 0, maxAcu: 2, pauseAfterMinutes: 10 },
      api: { memoryMb: 2048, timeoutSeconds: 60, ephemeralStorageMb: 2048 },
      endpoint: { instanceType: "ml.g4dn.xlarge", minCopies: 0, maxCopies: 1, scaleToZeroAfterMinutes: 15, invocationsPerCopyPerMinute: 600, copyMemoryMb: 8192 },
      jobs: { retentionDays: 7, maxConcurrentInvocationsPerInstance: 2, maxInstances: 1, runnerSchedule: "rate(1 minute)" },
      storage: { fusedExpiryDays: 7, uploadsExpiryDays: 1 },
      sweepSchedule: "rate(1 day)",
      logRetention: "1 week",
    });
  });

  test("every stage other than production gets dev's settings", () => {
    expect(stageSettings("pr-42")).toEqual(stageSettings("dev"));
  });

  test("production keeps capacity warm and autoscales the endpoint from 1 to 4 copies (one instance each)", () => {
    const production = stageSettings("production");
    expect(production.network).toBe("vpc");
    expect(production.database).toEqual({ kind: "aurora", minAcu: 0.5, maxAcu: 8 });
    expect(production.api).toEqual({ memoryMb: 3584, timeoutSeconds: 60, ephemeralStorageMb: 2048 });
    expect(production.endpoint).toEqual({ instanceType: "ml.g5.xlarge", minCopies: 1, maxCopies: 4, invocationsPerCopyPerMinute: 600, copyMemoryMb: 8192 });
    expect(production.logRetention).toBe("3 months");
    expect(production.sweepSchedule).toBe("rate(1 hour)");
  });

  test("SEMLA_DATABASE=rds swaps Aurora for a provisioned instance sized per stage", () => {
    expect(stageSettings("dev", { database: "rds" }).database).toEqual({ kind: "rds", instance: "t4g.micro", storageGb: 20 });
    expect(stageSettings("production", { database: "rds" }).database).toEqual({ kind: "rds", instance: "m7g.large", storageGb: 50 });
    expect(stageSettings("dev", { database: "aurora" })).toEqual(stageSettings("dev"));
  });

  test('SEMLA_NETWORK picks the network mode: dev defaults to "data-api", production to "vpc"', () => {
    expect(stageSettings("dev", { network: "vpc" })).toEqual({ ...stageSettings("dev"), network: "vpc" });
    expect(stageSettings("production", { network: "data-api" })).toEqual({ ...stageSettings("production"), network: "data-api" });
    expect(() => stageSettings("dev", { network: "nat" })).toThrow(new StageSettingsError('SEMLA_NETWORK = "nat": must be "vpc" or "data-api"'));
  });

  test('RDS has no Data API: a stage on RDS is "vpc" unless told otherwise, and "data-api" with RDS is refused', () => {
    expect(stageSettings("dev", { database: "rds" }).network).toBe("vpc");
    expect(() => stageSettings("dev", { database: "rds", network: "data-api" })).toThrow(
      new StageSettingsError('stage setting network = "data-api": "data-api" needs Aurora (database.kind is "rds"; RDS has no Data API)'),
    );
  });

  test("an unknown database kind is refused by name", () => {
    expect(() => stageSettings("dev", { database: "dynamodb" })).toThrow(new StageSettingsError('SEMLA_DATABASE = "dynamodb": must be "aurora" or "rds"'));
  });

  test("the deploy options come from SEMLA_DATABASE, SEMLA_NETWORK, SEMLA_ENDPOINT_MIN_COPIES, _MAX_COPIES and _IDLE_MINUTES", () => {
    expect(deployOptions({ SEMLA_DATABASE: "rds", SEMLA_NETWORK: "vpc", SEMLA_ENDPOINT_MIN_COPIES: "0", SEMLA_ENDPOINT_MAX_COPIES: "2", SEMLA_ENDPOINT_IDLE_MINUTES: "30", HOME: "/root" })).toEqual({
      database: "rds",
      network: "vpc",
      minCopies: "0",
      maxCopies: "2",
      scaleToZeroAfterMinutes: "30",
    });
    expect(deployOptions({})).toEqual({ database: undefined, network: undefined, minCopies: undefined, maxCopies: undefined, scaleToZeroAfterMinutes: undefined });
  });

  test("production may scale to zero: minimum 0 takes dev's idle time unless one is given", () => {
    expect(stageSettings("production", { minCopies: "0" }).endpoint).toEqual({
      instanceType: "ml.g5.xlarge",
      minCopies: 0,
      maxCopies: 4,
      scaleToZeroAfterMinutes: 15,
      invocationsPerCopyPerMinute: 600,
      copyMemoryMb: 8192,
    });
    expect(stageSettings("production", { minCopies: "0", scaleToZeroAfterMinutes: "60" }).endpoint.scaleToZeroAfterMinutes).toBe(60);
  });

  test("dev may keep copies warm: a minimum above 0 drops the idle time", () => {
    expect(stageSettings("dev", { minCopies: "1" }).endpoint).toEqual({
      instanceType: "ml.g4dn.xlarge",
      minCopies: 1,
      maxCopies: 1,
      invocationsPerCopyPerMinute: 600,
      copyMemoryMb: 8192,
    });
    expect(stageSettings("dev", { minCopies: "", maxCopies: "", scaleToZeroAfterMinutes: "" })).toEqual(stageSettings("dev"));
  });

  test("deploy options are refused by variable name", () => {
    expect(() => stageSettings("dev", { minCopies: "-1" })).toThrow(new StageSettingsError('SEMLA_ENDPOINT_MIN_COPIES = "-1": must be a whole number'));
    expect(() => stageSettings("dev", { maxCopies: "two" })).toThrow(new StageSettingsError('SEMLA_ENDPOINT_MAX_COPIES = "two": must be a whole number'));
    expect(() => stageSettings("dev", { scaleToZeroAfterMinutes: "1.5" })).toThrow(new StageSettingsError('SEMLA_ENDPOINT_IDLE_MINUTES = "1.5": must be a whole number'));
    expect(() => stageSettings("production", { scaleToZeroAfterMinutes: "30" })).toThrow(
      new StageSettingsError("stage setting endpoint.scaleToZeroAfterMinutes = 30: applies only when endpoint.minCopies is 0 (the endpoint never scales to zero otherwise)"),
    );
    expect(() => stageSettings("production", { minCopies: "5" })).toThrow(new StageSettingsError("stage setting endpoint.maxCopies = 4: must be a whole number ≥ 1 and ≥ endpoint.minCopies (5)"));
  });
});

describe("validateSettings refuses values AWS would reject, naming the setting", () => {
  const dev = stageSettings("dev");
  const aurora = dev.database as Extract<StageSettings["database"], { kind: "aurora" }>;
  const cases: [string, StageSettings, string][] = [
    ["ACU off the 0.5 grid", { ...dev, database: { ...aurora, minAcu: 0.25 } }, "stage setting database.minAcu = 0.25: must be 0–256 ACU in steps of 0.5"],
    ["max ACU below min", { ...dev, database: { kind: "aurora", minAcu: 4, maxAcu: 2 } }, "stage setting database.maxAcu = 2: must be at least database.minAcu (4)"],
    ["max ACU above 256", { ...dev, database: { ...aurora, maxAcu: 300 } }, "stage setting database.maxAcu = 300: must be 1–256 ACU in steps of 0.5"],
    ["auto-pause under 5 minutes", { ...dev, database: { ...aurora, pauseAfterMinutes: 4 } }, "stage setting database.pauseAfterMinutes = 4: must be a whole number of minutes from 5 to 60"],
    [
      "auto-pause missing at 0 ACU",
      { ...dev, database: { kind: "aurora", minAcu: 0, maxAcu: 2 } },
      "stage setting database.pauseAfterMinutes = undefined: must be a whole number of minutes from 5 to 60",
    ],
    [
      "auto-pause above 0 ACU",
      { ...dev, database: { ...aurora, minAcu: 0.5 } },
      "stage setting database.pauseAfterMinutes = 10: applies only when database.minAcu is 0 (the cluster never pauses otherwise)",
    ],
    [
      "RDS class with the db. prefix",
      { ...dev, database: { kind: "rds", instance: "db.t4g.micro", storageGb: 20 } },
      'stage setting database.instance = "db.t4g.micro": must be an RDS instance class without "db.", e.g. "t4g.micro"',
    ],
    ["RDS storage under 20 GB", { ...dev, database: { kind: "rds", instance: "t4g.micro", storageGb: 10 } }, "stage setting database.storageGb = 10: must be 20–65536 GB"],
    ["Lambda memory over 10240 MB", { ...dev, api: { ...dev.api, memoryMb: 10241 } }, "stage setting api.memoryMb = 10241: must be 128–10240 MB"],
    ["Lambda timeout over 15 minutes", { ...dev, api: { ...dev.api, timeoutSeconds: 901 } }, "stage setting api.timeoutSeconds = 901: must be 1–900 s"],
    ["/tmp under 512 MB", { ...dev, api: { ...dev.api, ephemeralStorageMb: 256 } }, "stage setting api.ephemeralStorageMb = 256: must be 512–10240 MB"],
    [
      "an instance type the price table does not list",
      { ...dev, endpoint: { ...dev.endpoint, instanceType: "g5.xlarge" } },
      'stage setting endpoint.instanceType = "g5.xlarge": must be a SageMaker GPU instance type infra/prices.ts prices (ml.g4dn.xlarge, ml.g5.xlarge); add a row there for another',
    ],
    [
      "a negative minimum",
      { ...dev, endpoint: { ...dev.endpoint, minCopies: -1 } },
      "stage setting endpoint.minCopies = -1: must be a whole number ≥ 0 (0 scales the endpoint to zero instances when idle)",
    ],
    ["a maximum of 0", { ...dev, endpoint: { ...dev.endpoint, maxCopies: 0 } }, "stage setting endpoint.maxCopies = 0: must be a whole number ≥ 1 and ≥ endpoint.minCopies (0)"],
    [
      "max copies below min",
      { ...dev, endpoint: { ...dev.endpoint, minCopies: 2, maxCopies: 1, scaleToZeroAfterMinutes: undefined } },
      "stage setting endpoint.maxCopies = 1: must be a whole number ≥ 1 and ≥ endpoint.minCopies (2)",
    ],
    [
      "idle time missing at 0 copies",
      { ...dev, endpoint: { ...dev.endpoint, scaleToZeroAfterMinutes: undefined } },
      "stage setting endpoint.scaleToZeroAfterMinutes = undefined: must be a whole number of minutes from 1 to 1440 (a CloudWatch alarm evaluates at most one day)",
    ],
    [
      "idle time beyond a day",
      { ...dev, endpoint: { ...dev.endpoint, scaleToZeroAfterMinutes: 1441 } },
      "stage setting endpoint.scaleToZeroAfterMinutes = 1441: must be a whole number of minutes from 1 to 1440 (a CloudWatch alarm evaluates at most one day)",
    ],
    [
      "idle time with copies kept",
      { ...dev, endpoint: { ...dev.endpoint, minCopies: 1 } },
      "stage setting endpoint.scaleToZeroAfterMinutes = 15: applies only when endpoint.minCopies is 0 (the endpoint never scales to zero otherwise)",
    ],
    [
      "a copy larger than its instance",
      { ...dev, endpoint: { ...dev.endpoint, copyMemoryMb: 16385 } },
      "stage setting endpoint.copyMemoryMb = 16385: must be a whole number of MB from 128 to the instance's memory (16384 MB on ml.g4dn.xlarge)",
    ],
    ["a non-positive load target", { ...dev, endpoint: { ...dev.endpoint, invocationsPerCopyPerMinute: 0 } }, "stage setting endpoint.invocationsPerCopyPerMinute = 0: must be positive"],
    [
      "a sweep schedule EventBridge cannot read",
      { ...dev, sweepSchedule: "rate(1 fortnight)" },
      'stage setting sweepSchedule = "rate(1 fortnight)": must be an EventBridge schedule, e.g. "rate(1 hour)" or "cron(0 3 * * ? *)"',
    ],
    [
      "a jobs runner schedule EventBridge cannot read",
      { ...dev, jobs: { ...dev.jobs, runnerSchedule: "every minute" as "rate(1 minute)" } },
      'stage setting jobs.runnerSchedule = "every minute": must be an EventBridge schedule, e.g. "rate(1 hour)" or "cron(0 3 * * ? *)"',
    ],
    ["a network mode that does not exist", { ...dev, network: "nat" as StageSettings["network"] }, 'stage setting network = "nat": must be "vpc" or "data-api"'],
    ["jobs kept longer than the API allows", { ...dev, jobs: { ...dev.jobs, retentionDays: 31 } }, "stage setting jobs.retentionDays = 31: must be a whole number of days from 1 to 30"],
    [
      "no asynchronous invocation per instance",
      { ...dev, jobs: { ...dev.jobs, maxConcurrentInvocationsPerInstance: 0 } },
      "stage setting jobs.maxConcurrentInvocationsPerInstance = 0: must be a whole number from 1 to 1000",
    ],
    ["no instance for the jobs", { ...dev, jobs: { ...dev.jobs, maxInstances: 0 } }, "stage setting jobs.maxInstances = 0: must be a whole number ≥ 1"],
    ["no expiry of the fused cache", { ...dev, storage: { ...dev.storage, fusedExpiryDays: 0 } }, "stage setting storage.fusedExpiryDays = 0: must be a whole number of days ≥ 1"],
  ];
  test.each(cases)("%s", (_, settings, message) => {
    expect(() => validateSettings(settings)).toThrow(new StageSettingsError(message));
  });
});

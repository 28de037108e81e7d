import { describe, expect, test } from "vitest";
import { type StageSettings, StageSettingsError, stageSettings, validateSettings } from "./settings";

describe("stage settings", () => {
  test("dev is the smallest stack: Aurora scaling to 0 ACU, one GPU instance, short retention", () => {
    expect(stageSettings("dev")).toEqual({
      database: { kind: "aurora", minAcu: 0, maxAcu: 2, pauseAfterMinutes: 10 },
      api: { memoryMb: 2048, timeoutSeconds: 60, ephemeralStorageMb: 2048 },
      endpoint: { instanceType: "ml.g4dn.xlarge", minInstances: 1, maxInstances: 1, invocationsPerInstancePerMinute: 600 },
      storage: { fusedExpiryDays: 7, uploadsExpiryDays: 1 },
      sweepSchedule: "rate(1 day)",
      logRetention: "1 week",
    });
  });

  test("every stage other than production gets dev's settings", () => {
    expect(stageSettings("pr-42")).toEqual(stageSettings("dev"));
  });

  test("production keeps capacity warm and autoscales the endpoint from 1 to 4 instances", () => {
    const production = stageSettings("production");
    expect(production.database).toEqual({ kind: "aurora", minAcu: 0.5, maxAcu: 8 });
    expect(production.api).toEqual({ memoryMb: 3584, timeoutSeconds: 60, ephemeralStorageMb: 2048 });
    expect(production.endpoint).toEqual({ instanceType: "ml.g5.xlarge", minInstances: 1, maxInstances: 4, invocationsPerInstancePerMinute: 600 });
    expect(production.logRetention).toBe("3 months");
    expect(production.sweepSchedule).toBe("rate(1 hour)");
  });

  test("SEMLA_DATABASE=rds swaps Aurora for a provisioned instance sized per stage", () => {
    expect(stageSettings("dev", { database: "rds" }).database).toEqual({ kind: "rds", instance: "t4g.micro", storageGb: 20 });
    expect(stageSettings("production", { database: "rds" }).database).toEqual({ kind: "rds", instance: "m7g.large", storageGb: 50 });
    expect(stageSettings("dev", { database: "aurora" })).toEqual(stageSettings("dev"));
  });

  test("an unknown database kind is refused by name", () => {
    expect(() => stageSettings("dev", { database: "dynamodb" })).toThrow(new StageSettingsError('SEMLA_DATABASE = "dynamodb": must be "aurora" or "rds"'));
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
      "instance type without ml.",
      { ...dev, endpoint: { ...dev.endpoint, instanceType: "g5.xlarge" } },
      'stage setting endpoint.instanceType = "g5.xlarge": must be a SageMaker instance type, e.g. "ml.g5.xlarge"',
    ],
    [
      "an endpoint scaled to 0 instances",
      { ...dev, endpoint: { ...dev.endpoint, minInstances: 0 } },
      "stage setting endpoint.minInstances = 0: must be a whole number ≥ 1 (a real-time endpoint cannot scale to 0 instances)",
    ],
    [
      "max instances below min",
      { ...dev, endpoint: { ...dev.endpoint, minInstances: 2, maxInstances: 1 } },
      "stage setting endpoint.maxInstances = 1: must be a whole number ≥ endpoint.minInstances (2)",
    ],
    [
      "a sweep schedule EventBridge cannot read",
      { ...dev, sweepSchedule: "rate(1 fortnight)" },
      'stage setting sweepSchedule = "rate(1 fortnight)": must be an EventBridge schedule, e.g. "rate(1 hour)" or "cron(0 3 * * ? *)"',
    ],
    ["no expiry of the fused cache", { ...dev, storage: { ...dev.storage, fusedExpiryDays: 0 } }, "stage setting storage.fusedExpiryDays = 0: must be a whole number of days ≥ 1"],
  ];
  test.each(cases)("%s", (_, settings, message) => {
    expect(() => validateSettings(settings)).toThrow(new StageSettingsError(message));
  });
});

import { beforeAll, describe, expect, test } from "vitest";
import { DEPLOY_ENV } from "./testing/fixtures";
import { type MockStack, runStack } from "./testing/mock-stack";

/** SEMLA_DATABASE=rds: a provisioned RDS PostgreSQL instance instead of Aurora. */
let stack: MockStack;
beforeAll(async () => {
  stack = await runStack("dev", { ...DEPLOY_ENV, SEMLA_DATABASE: "rds" });
}, 60_000);

describe("the dev stack on RDS", () => {
  test("one db.t4g.micro PostgreSQL 16.6 instance with 20 GB, and no Aurora cluster", () => {
    expect(stack.ofType("aws:rds/cluster:Cluster")).toEqual([]);
    expect(stack.one("aws:rds/instance:Instance", "DatabaseInstance").inputs).toMatchObject({
      engine: "postgres",
      engineVersion: "16.6",
      instanceClass: "db.t4g.micro",
      allocatedStorage: 20,
      dbName: "semla",
      storageEncrypted: true,
    });
  });

  test("the functions connect to the instance's address", () => {
    const url = new URL(stack.one("aws:lambda/function:Function", "ApiFunction").inputs.environment.variables.SEMLA_DATABASE_URL as string);
    expect([url.hostname, url.port, url.pathname, url.search]).toEqual(["databaseinstance.mock.us-east-1.rds.amazonaws.com", "5432", "/semla", "?sslmode=verify-full"]);
  });
});

import path from "node:path";
import { parseConfig } from "@semla/service/config";
import { beforeAll, describe, expect, test } from "vitest";
import { DATA_API_VPC_LAYOUT } from "./settings";
import { API_KEY_SHA256, DEPLOY_ENV, JOBS_WEBHOOK_SECRET } from "./testing/fixtures";
import { allStatements, asList } from "./testing/iam-statements";
import { type MockStack, ROOT, runStack } from "./testing/mock-stack";

/**
 * The dev stage as deployed without options: "data-api" mode. The functions sit outside any VPC and
 * reach Aurora through its Data API; the VPC holds the cluster's subnets alone, with no NAT and no
 * endpoint of any kind. (The "vpc" mode's wiring is stack.program.test.ts.)
 */
let stack: MockStack;
let bucket: string;
/** The cluster's and its master secret's ARNs, as the mocks computed them (infra/testing/mock-stack.ts). */
let CLUSTER_ARN: string;
let SECRET_ARN: string;
let DATA_API_ENV: Record<string, string>;
let DATA_API_STATEMENTS: unknown[];
beforeAll(async () => {
  stack = await runStack("dev", DEPLOY_ENV);
  bucket = stack.one("aws:s3/bucket:Bucket", "BucketBucket").state.bucket as string;
  CLUSTER_ARN = stack.one("aws:rds/cluster:Cluster", "DatabaseCluster").state.arn as string;
  SECRET_ARN = stack.one("aws:secretsmanager/secret:Secret", "DatabaseProxySecret").state.arn as string;
  DATA_API_ENV = { SEMLA_DATA_API_RESOURCE_ARN: CLUSTER_ARN, SEMLA_DATA_API_SECRET_ARN: SECRET_ARN, SEMLA_DATA_API_DATABASE: "semla" };
  DATA_API_STATEMENTS = [
    { Effect: "Allow", Action: DATA_API_ACTIONS, Resource: [CLUSTER_ARN] },
    { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [SECRET_ARN] },
  ];
}, 60_000);

const fn = (name: string) => stack.one("aws:lambda/function:Function", `${name}Function`).inputs;
const env = (name: string) => Object.fromEntries(Object.entries(fn(name).environment.variables as Record<string, string>).filter(([key]) => !key.startsWith("SST_")));

const DATA_API_ACTIONS = ["rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement", "rds-data:BeginTransaction", "rds-data:CommitTransaction", "rds-data:RollbackTransaction"];

describe("the network of a data-api stack", () => {
  test("no NAT, no elastic IP, no VPC endpoint (gateway or interface), no endpoint security group", () => {
    expect(stack.ofType("aws:ec2/natGateway:NatGateway")).toEqual([]);
    expect(stack.ofType("aws:ec2/eip:Eip")).toEqual([]);
    expect(stack.ofType("aws:ec2/instance:Instance")).toEqual([]);
    expect(stack.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")).toEqual([]);
    expect(stack.ofType("aws:ec2/securityGroup:SecurityGroup").map((group) => group.name)).not.toContain("SageMakerRuntimeEndpointSecurityGroup");
  });

  test("one VPC for the cluster's subnet group alone: private subnets in two AZs, as the cost model prices it", () => {
    expect(stack.ofType("aws:ec2/vpc:Vpc").map((vpc) => vpc.name)).toEqual(["VpcVpc"]);
    const privateSubnets = stack.ofType("aws:ec2/subnet:Subnet").filter((subnet) => subnet.name.startsWith("VpcPrivateSubnet"));
    expect(privateSubnets.length).toBe(DATA_API_VPC_LAYOUT.availabilityZones);
    expect(stack.one("aws:rds/subnetGroup:SubnetGroup", "DatabaseSubnetGroup").inputs.subnetIds).toEqual(["VpcPrivateSubnet1-id", "VpcPrivateSubnet2-id"]);
  });
});

describe("the database of a data-api stack", () => {
  test("the cluster and its master secret have ARNs of AWS's shapes (cluster:ID, secret:NAME-XXXXXX)", () => {
    expect(CLUSTER_ARN).toMatch(/^arn:aws:rds:us-east-1:123456789012:cluster:semla-serve-dev-databasecluster-[a-z]+$/);
    expect(SECRET_ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:semla-serve-dev-DatabaseProxySecret-[a-z]+-AbCdEf$/);
  });

  test("Aurora Serverless v2 with the Data API (HTTP endpoint) enabled, scaling from 0 ACU", () => {
    expect(stack.one("aws:rds/cluster:Cluster", "DatabaseCluster").inputs).toMatchObject({
      engine: "aurora-postgresql",
      engineMode: "provisioned",
      enableHttpEndpoint: true,
      databaseName: "semla",
      serverlessv2ScalingConfiguration: { minCapacity: 0, maxCapacity: 2, secondsUntilAutoPause: 600 },
    });
  });
});

describe("the functions of a data-api stack", () => {
  test("the API, the jobs runner, the migrator and the sweeper run outside any VPC", () => {
    for (const name of ["Api", "JobsRunner", "Migrator", "Sweeper"]) expect([name, fn(name).vpcConfig]).toEqual([name, undefined]);
  });

  test("the API reads the cluster, its secret and the database's name instead of a URL (no password, no RDS CA)", () => {
    expect(env("Api")).toEqual({
      ...DATA_API_ENV,
      SEMLA_BUCKET: bucket,
      SEMLA_BACKEND: "sagemaker",
      SEMLA_SAGEMAKER_ENDPOINT: stack.one("aws:sagemaker/endpoint:Endpoint", "Endpoint").state.name,
      SEMLA_SAGEMAKER_INFERENCE_COMPONENT: "semla-serve-dev-segmenter",
      SEMLA_SAGEMAKER_ASYNC_ENDPOINT: stack.one("aws:sagemaker/endpoint:Endpoint", "JobsEndpoint").state.name,
      SEMLA_JOBS_RETENTION_SECONDS: String(7 * 86_400),
      SEMLA_JOBS_WEBHOOK_SECRET: JOBS_WEBHOOK_SECRET,
      SEMLA_MODELS_PREFIX: "models/clip-vision/",
      SEMLA_DATA_DIR: "/tmp/semla",
      SEMLA_LOG_LEVEL: "info",
      SEMLA_MIGRATE: "false",
    });
  });

  test("the service's configuration accepts the API's environment as the Data API mode", () => {
    const config = parseConfig({ ...env("Api"), AWS_REGION: "us-east-1" });
    expect([config.SEMLA_DATABASE_URL, config.SEMLA_DATA_API_RESOURCE_ARN, config.SEMLA_DATA_API_SECRET_ARN, config.SEMLA_DATA_API_DATABASE]).toEqual([undefined, CLUSTER_ARN, SECRET_ARN, "semla"]);
  });

  test("the sweeper and the migrator get the same Data API settings", () => {
    expect(env("Sweeper")).toEqual({ ...DATA_API_ENV, SEMLA_BUCKET: bucket, SEMLA_DATA_DIR: "/tmp/semla", SEMLA_LOG_LEVEL: "info", SEMLA_MIGRATE: "false" });
    expect(env("Migrator")).toEqual({ ...DATA_API_ENV, SEMLA_BOOTSTRAP_API_KEY_SHA256: API_KEY_SHA256 });
    expect(stack.builds.find((b) => b.functionID === "Migrator")!.input.copyFiles).toEqual([{ from: path.join(ROOT, "migrations"), to: "migrations", isDir: true }]);
  });
});

describe("the IAM of a data-api stack", () => {
  const policy = (role: string) => JSON.parse(stack.one("aws:iam/role:Role", role).inputs.inlinePolicies[0].policy as string).Statement;

  test("the API: its bucket prefixes, its endpoint, then the Data API on the one cluster and its one secret", () => {
    const statements = policy("ApiRole");
    // Bucket (3), InvokeEndpoint, InvokeEndpointAsync (the jobs endpoint), the Data API (2).
    expect(statements.length).toBe(3 + 2 + 2);
    expect(statements.slice(5)).toEqual(DATA_API_STATEMENTS);
  });

  test("the sweeper: adapters/ and the Data API", () => {
    const arn = `arn:aws:s3:::${bucket}`;
    expect(policy("SweeperRole")).toEqual([
      { Effect: "Allow", Action: ["s3:DeleteObject"], Resource: [`${arn}/adapters/*`] },
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [arn], Condition: { StringLike: { "s3:prefix": ["adapters/*"] } } },
      ...DATA_API_STATEMENTS,
    ]);
  });

  test("the migrator: the Data API alone", () => {
    expect(policy("MigratorRole")).toEqual(DATA_API_STATEMENTS);
  });

  test('no statement anywhere has a "*" resource, except for the actions IAM cannot scope', () => {
    const unscopable = new Set(["ecr:GetAuthorizationToken"]);
    const statements = allStatements(stack);
    // The VPC stack's 5 + 5 + 2 + 6, the Data API's 2 for each of the four functions.
    expect(statements.length).toBe(5 + 5 + 2 + 6 + 4 * 2);
    const wildcards = statements.filter(({ statement }) => asList(statement.Resource).some((r) => r === "*" || r.endsWith(":*:*")));
    expect(wildcards.flatMap(({ statement }) => asList(statement.Action)).filter((action) => !unscopable.has(action))).toEqual([]);
    expect(statements.flatMap(({ statement }) => asList(statement.Action)).filter((action) => action.endsWith(":*"))).toEqual([]);
    const dataApi = statements.filter(({ statement }) => asList(statement.Action).some((action) => action.startsWith("rds-data:") || action.startsWith("secretsmanager:")));
    expect(dataApi.map(({ owner, statement }) => `${owner} ${asList(statement.Resource).join(",")}`).sort()).toEqual(
      ["ApiRole", "JobsRunnerRole", "MigratorRole", "SweeperRole"].flatMap((role) => [`${role} ${CLUSTER_ARN}`, `${role} ${SECRET_ARN}`]).sort(),
    );
  });
});

import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { migrationsDigest } from "./migrations";
import { VPC_LAYOUT } from "./settings";
import { API_KEY_SHA256, DEPLOY_ENV, ENDPOINT_IMAGE, JOBS_WEBHOOK_SECRET } from "./testing/fixtures";
import { allStatements, asList } from "./testing/iam-statements";
import { type MockStack, platformVersions, ROOT, runStack } from "./testing/mock-stack";

/**
 * The dev stage's stack in "vpc" mode (SEMLA_NETWORK=vpc, production's default), evaluated under
 * Pulumi's mocks (sst.config.ts as `sst deploy` runs it): the wiring the issue asks for, resource
 * by resource. Dev's own default, "data-api", is stack-data-api.program.test.ts.
 */
let stack: MockStack;
let bucket: string;
beforeAll(async () => {
  stack = await runStack("dev", { ...DEPLOY_ENV, SEMLA_NETWORK: "vpc" });
  bucket = stack.one("aws:s3/bucket:Bucket", "BucketBucket").state.bucket as string;
}, 60_000);

const fn = (name: string) => stack.one("aws:lambda/function:Function", `${name}Function`).inputs;
/** The function's variables without SST's own (SST_KEY_FILE, SST_RESOURCE_App). */
const env = (name: string) => Object.fromEntries(Object.entries(fn(name).environment.variables as Record<string, string>).filter(([key]) => !key.startsWith("SST_")));

/** The inference component's name: the app's and the stage's. */
const COMPONENT = "semla-serve-dev-segmenter";
const DATABASE_URL = "postgres://postgres:p%40ss%3Aw%2Frd%25mock@databasecluster.cluster-mock.us-east-1.rds.amazonaws.com:5432/semla?sslmode=verify-full";

describe("the dev stack", () => {
  test("is evaluated by SST 4.17.1's platform: @pulumi/pulumi 3.215.0, @pulumi/aws 7.20.0", () => {
    expect(platformVersions()).toEqual({ sst: "4.17.1", pulumi: "3.215.0", aws: "7.20.0" });
  });

  test("has every component, once", () => {
    const components = stack.resources.filter((r) => r.type.startsWith("sst:")).map((r) => `${r.type} ${r.name}`);
    expect(components.sort()).toEqual(
      [
        "sst:aws:Aurora Database",
        "sst:aws:Bucket Bucket",
        "sst:aws:Function Api",
        "sst:aws:Function JobsRunner",
        "sst:aws:Cron JobsRound",
        "sst:aws:Function Migrator",
        "sst:aws:Function Sweeper",
        "sst:aws:Cron Sweep",
        "sst:aws:Vpc Vpc",
        "sst:sst:Secret ApiKey",
        "sst:sst:Version VpcVersion",
      ].sort(),
    );
    for (const [type, name] of [
      ["aws:ec2/vpcEndpoint:VpcEndpoint", "S3GatewayEndpoint"],
      ["aws:ec2/vpcEndpoint:VpcEndpoint", "SageMakerRuntimeEndpoint"],
      ["aws:rds/cluster:Cluster", "DatabaseCluster"],
      ["aws:lambda/functionUrl:FunctionUrl", "ApiUrl"],
      ["aws:lambda/invocation:Invocation", "MigratorInvocation"],
      ["aws:cloudwatch/eventRule:EventRule", "SweepRule"],
      ["aws:cloudwatch/eventTarget:EventTarget", "SweepTarget"],
      ["aws:sagemaker/model:Model", "EndpointModel"],
      ["aws:sagemaker/endpointConfiguration:EndpointConfiguration", "EndpointConfig"],
      ["aws:sagemaker/endpoint:Endpoint", "Endpoint"],
      ["aws:cloudcontrol/resource:Resource", "EndpointInferenceComponent"],
      ["aws:appautoscaling/target:Target", "EndpointScalingTarget"],
      ["aws:appautoscaling/policy:Policy", "EndpointScaleToZeroPolicy"],
      ["aws:appautoscaling/policy:Policy", "EndpointScaleFromZeroPolicy"],
      ["aws:cloudwatch/metricAlarm:MetricAlarm", "EndpointIdleAlarm"],
      ["aws:cloudwatch/metricAlarm:MetricAlarm", "EndpointNoCapacityAlarm"],
      ["aws:iam/role:Role", "EndpointRole"],
      ["aws:iam/rolePolicy:RolePolicy", "EndpointRolePolicy"],
    ] as const) {
      expect(stack.one(type, name).type).toBe(type);
    }
  });

  test("outputs the API URL, the bucket, the endpoint's and the inference component's names", () => {
    expect(stack.outputs).toEqual({
      api: "https://apiurl.lambda-url.us-east-1.on.aws/",
      bucket,
      endpoint: stack.one("aws:sagemaker/endpoint:Endpoint", "Endpoint").state.name,
      inferenceComponent: COMPONENT,
    });
  });
});

describe("network", () => {
  test("no NAT: neither gateways nor instances nor elastic IPs", () => {
    expect(stack.ofType("aws:ec2/natGateway:NatGateway")).toEqual([]);
    expect(stack.ofType("aws:ec2/instance:Instance")).toEqual([]);
    expect(stack.ofType("aws:ec2/eip:Eip")).toEqual([]);
  });

  test("is the layout the cost model prices: its AZs, its interface endpoints, no NAT", () => {
    const interfaces = stack.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").filter((endpoint) => endpoint.inputs.vpcEndpointType === "Interface");
    expect(interfaces.map((endpoint) => endpoint.inputs.serviceName)).toEqual(VPC_LAYOUT.interfaceEndpoints.map((service) => `com.amazonaws.us-east-1.${service}`));
    expect(stack.ofType("aws:ec2/subnet:Subnet").filter((subnet) => subnet.name.startsWith("VpcPrivateSubnet")).length).toBe(VPC_LAYOUT.availabilityZones);
    expect(stack.ofType("aws:ec2/natGateway:NatGateway").length).toBe(VPC_LAYOUT.natGateways);
  });

  test("S3 through a gateway endpoint on the private route tables", () => {
    expect(stack.one("aws:ec2/vpcEndpoint:VpcEndpoint", "S3GatewayEndpoint").inputs).toEqual({
      vpcId: "VpcVpc-id",
      serviceName: "com.amazonaws.us-east-1.s3",
      vpcEndpointType: "Gateway",
      routeTableIds: ["VpcPrivateRouteTable1-id", "VpcPrivateRouteTable2-id"],
    });
  });

  test("SageMaker Runtime through an interface endpoint with private DNS, HTTPS from the functions only", () => {
    expect(stack.one("aws:ec2/vpcEndpoint:VpcEndpoint", "SageMakerRuntimeEndpoint").inputs).toEqual({
      vpcId: "VpcVpc-id",
      serviceName: "com.amazonaws.us-east-1.sagemaker.runtime",
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: ["VpcPrivateSubnet1-id", "VpcPrivateSubnet2-id"],
      securityGroupIds: ["SageMakerRuntimeEndpointSecurityGroup-id"],
    });
    expect(stack.one("aws:ec2/securityGroup:SecurityGroup", "SageMakerRuntimeEndpointSecurityGroup").inputs.ingress).toEqual([
      { protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: ["VpcSecurityGroup-id"] },
    ]);
  });

  test("every function and the database sit in the private subnets", () => {
    const placement = { securityGroupIds: ["VpcSecurityGroup-id"], subnetIds: ["VpcPrivateSubnet1-id", "VpcPrivateSubnet2-id"] };
    expect(fn("Api").vpcConfig).toEqual(placement);
    expect(fn("Migrator").vpcConfig).toEqual(placement);
    expect(fn("Sweeper").vpcConfig).toEqual(placement);
    expect(stack.one("aws:rds/subnetGroup:SubnetGroup", "DatabaseSubnetGroup").inputs.subnetIds).toEqual(placement.subnetIds);
    expect(stack.one("aws:rds/cluster:Cluster", "DatabaseCluster").inputs.vpcSecurityGroupIds).toEqual(placement.securityGroupIds);
  });
});

describe("storage", () => {
  test("the fused cache expires after 7 days, uploads after 1, jobs a day after their 7-day retention", () => {
    expect(stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "BucketLifecycle").inputs.rules).toEqual([
      { id: "expire-fused", status: "Enabled", filter: { prefix: "fused/" }, expiration: { days: 7 } },
      { id: "expire-uploads", status: "Enabled", filter: { prefix: "uploads/" }, expiration: { days: 1 } },
      { id: "expire-jobs", status: "Enabled", filter: { prefix: "jobs/" }, expiration: { days: 8 } },
    ]);
  });

  test("the bucket is private and refuses plain HTTP", () => {
    expect(stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "BucketPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = JSON.parse(stack.one("aws:s3/bucketPolicy:BucketPolicy", "BucketPolicy").inputs.policy as string) as { Statement: unknown[] };
    expect(policy.Statement).toContainEqual(expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": ["false"] } } }));
  });
});

describe("database", () => {
  test("Aurora PostgreSQL Serverless v2 scales from 0 ACU and pauses after 10 idle minutes", () => {
    expect(stack.one("aws:rds/cluster:Cluster", "DatabaseCluster").inputs).toMatchObject({
      engine: "aurora-postgresql",
      engineMode: "provisioned",
      engineVersion: "16.6",
      databaseName: "semla",
      storageEncrypted: true,
      serverlessv2ScalingConfiguration: { minCapacity: 0, maxCapacity: 2, secondsUntilAutoPause: 600 },
      // The functions connect in the VPC: no Data API.
      enableHttpEndpoint: false,
    });
    expect(stack.one("aws:rds/clusterInstance:ClusterInstance", "DatabaseInstance").inputs.instanceClass).toBe("db.serverless");
  });
});

describe("the API function", () => {
  test("runs the Hono app's Lambda handler, sized for CLIP ViT-B/16 on CPU", () => {
    expect(fn("Api")).toMatchObject({
      handler: "functions/api/src/lambda.handler",
      runtime: "nodejs22.x",
      architectures: ["x86_64"],
      memorySize: 2048,
      timeout: 60,
      ephemeralStorage: { size: 2048 },
    });
  });

  test("gets the environment packages/service/src/config.ts reads, the database URL as a secret", () => {
    expect(env("Api")).toEqual({
      SEMLA_DATABASE_URL: DATABASE_URL,
      SEMLA_BUCKET: bucket,
      SEMLA_BACKEND: "sagemaker",
      SEMLA_SAGEMAKER_ENDPOINT: stack.one("aws:sagemaker/endpoint:Endpoint", "Endpoint").state.name,
      SEMLA_SAGEMAKER_INFERENCE_COMPONENT: COMPONENT,
      SEMLA_SAGEMAKER_ASYNC_ENDPOINT: stack.one("aws:sagemaker/endpoint:Endpoint", "JobsEndpoint").state.name,
      SEMLA_JOBS_RETENTION_SECONDS: String(7 * 86_400),
      SEMLA_JOBS_WEBHOOK_SECRET: JOBS_WEBHOOK_SECRET,
      SEMLA_MODELS_PREFIX: "models/clip-vision/",
      SEMLA_DATA_DIR: "/tmp/semla",
      SEMLA_LOG_LEVEL: "info",
      SEMLA_MIGRATE: "false",
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    });
    expect(stack.one("aws:lambda/function:Function", "ApiFunction").secretInputs).toContain("environment");
  });

  test("is reached through a function URL, authenticated by the app's API keys", () => {
    expect(stack.one("aws:lambda/functionUrl:FunctionUrl", "ApiUrl").inputs).toMatchObject({ authorizationType: "NONE", invokeMode: "BUFFERED" });
  });

  test("links nothing: SST's bucket link would grant s3:* on the whole bucket", () => {
    // Builds finish in any order.
    expect(stack.builds.map((build) => [build.functionID, build.input.links]).sort(([a], [b]) => String(a).localeCompare(String(b)))).toEqual([
      ["Api", {}],
      ["JobsRunner", {}],
      ["Migrator", {}],
      ["Sweeper", {}],
    ]);
  });

  test("installs onnxruntime-node and sharp into the bundle and keeps only linux/x64's CPU binaries", () => {
    const build = stack.builds.find((b) => b.functionID === "Api")!;
    expect(build.input.properties).toEqual({ install: { "onnxruntime-node": "1.30.0", sharp: "0.35.5" }, architecture: "x86_64" });
    const bin = path.join(build.out, "node_modules/onnxruntime-node/bin/napi-v6");
    expect(existsSync(path.join(bin, "linux/x64/onnxruntime_binding.node"))).toBe(true);
    for (const gone of ["darwin", "win32", "linux/arm64", "linux/x64/libonnxruntime_providers_cuda.so"]) {
      expect(existsSync(path.join(bin, gone)), gone).toBe(false);
    }
  });

  test("gets ONNX Runtime's worker bundled beside its handler, as an ES module, the /docs page's assets and the web console", () => {
    const handlerDir = path.join(stack.builds.find((b) => b.functionID === "Api")!.out, "functions/api/src");
    expect(readdirSync(handlerDir).sort()).toEqual(["console", "lambda.mjs", "ort-worker.js", "package.json", "swagger-ui"]);
    expect(readdirSync(path.join(handlerDir, "console"))).toContain("index.html");
    expect(readdirSync(path.join(handlerDir, "swagger-ui")).sort()).toEqual(["swagger-ui-bundle.js", "swagger-ui.css"]);
    expect(JSON.parse(readFileSync(path.join(handlerDir, "package.json"), "utf8"))).toEqual({ type: "module", private: true });
  });
});

describe("least-privilege IAM", () => {
  test("the API reads and writes its prefixes (jobs/ too), reads the CLIP model and tenants' image folders, lists only those prefixes, invokes only its endpoint's component and the jobs endpoint", () => {
    const role = stack.one("aws:iam/role:Role", "ApiRole").inputs;
    const arn = `arn:aws:s3:::${bucket}`;
    const endpointArn = stack.one("aws:sagemaker/endpoint:Endpoint", "Endpoint").state.arn as string;
    const jobsArn = stack.one("aws:sagemaker/endpoint:Endpoint", "JobsEndpoint").state.arn as string;
    expect(JSON.parse(role.inlinePolicies[0].policy as string).Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${arn}/adapters/*`, `${arn}/fused/*`, `${arn}/banks/*`, `${arn}/uploads/*`, `${arn}/models/clip-vision/*`, `${arn}/jobs/*`, `${arn}/tenants/*`],
      },
      {
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
        Resource: [`${arn}/adapters/*`, `${arn}/fused/*`, `${arn}/banks/*`, `${arn}/uploads/*`, `${arn}/jobs/*`],
      },
      {
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [arn],
        Condition: { StringLike: { "s3:prefix": ["adapters/*", "fused/*", "banks/*", "uploads/*", "models/clip-vision/*", "jobs/*", "tenants/*"] } },
      },
      { Effect: "Allow", Action: ["sagemaker:InvokeEndpoint"], Resource: [endpointArn, `arn:aws:sagemaker:us-east-1:123456789012:inference-component/${COMPONENT}`] },
      { Effect: "Allow", Action: ["sagemaker:InvokeEndpointAsync"], Resource: [jobsArn] },
    ]);
  });

  test("the migrator has no permissions beyond logs and its VPC network interfaces", () => {
    const role = stack.one("aws:iam/role:Role", "MigratorRole").inputs;
    expect(role.inlinePolicies).toEqual([]);
    expect(role.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]);
  });

  test("function roles are assumable by Lambda only (SST's default also trusts the account root)", () => {
    for (const name of ["ApiRole", "MigratorRole", "SweeperRole"]) {
      expect(JSON.parse(stack.one("aws:iam/role:Role", name).inputs.assumeRolePolicy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      });
    }
  });

  test("the endpoint reads adapters, fused adapters, bank manifests, its model and jobs' inputs, writes only jobs' answers, pulls its one repository, writes its logs", () => {
    const arn = `arn:aws:s3:::${bucket}`;
    const logs = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/*";
    expect(JSON.parse(stack.one("aws:iam/rolePolicy:RolePolicy", "EndpointRolePolicy").inputs.policy as string).Statement).toEqual([
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${arn}/adapters/*`, `${arn}/fused/*`, `${arn}/banks/*`, `${arn}/models/endpoint/*`, `${arn}/jobs/*`] },
      { Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"], Resource: [`${arn}/jobs/output/*`, `${arn}/jobs/failures/*`] },
      {
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [arn],
        Condition: { StringLike: { "s3:prefix": ["adapters/*", "fused/*", "banks/*", "models/endpoint/*", "jobs/*", "jobs/output/*", "jobs/failures/*"] } },
      },
      {
        Effect: "Allow",
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        Resource: ["arn:aws:ecr:us-east-1:123456789012:repository/semla-endpoint"],
      },
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      { Effect: "Allow", Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [logs, `${logs}:*`] },
    ]);
  });

  test('no statement anywhere has a "*" resource, except for the actions IAM cannot scope', () => {
    const unscopable = new Set(["ecr:GetAuthorizationToken"]);
    const statements = allStatements(stack);
    // The API's and the jobs runner's (the same), the migrator's, the endpoint's.
    expect(statements.length).toBe(5 + 5 + 2 + 6);
    const wildcards = statements.filter(({ statement }) => asList(statement.Resource).some((r) => r === "*" || r.endsWith(":*:*")));
    expect(wildcards.flatMap(({ statement }) => asList(statement.Action)).filter((action) => !unscopable.has(action))).toEqual([]);
    expect(statements.flatMap(({ statement }) => asList(statement.Action)).filter((action) => action.endsWith(":*"))).toEqual([]);
  });
});

describe("migrations", () => {
  test("the migrator bundles migrations/ and gets the database URL and the bootstrap key's hash", () => {
    expect(fn("Migrator")).toMatchObject({ handler: "functions/migrator/src/handler.handler", runtime: "nodejs22.x", timeout: 300, memorySize: 512 });
    expect(stack.builds.find((b) => b.functionID === "Migrator")!.input.copyFiles).toEqual([{ from: path.join(ROOT, "migrations"), to: "migrations", isDir: true }]);
    expect(env("Migrator")).toEqual({
      SEMLA_DATABASE_URL: DATABASE_URL,
      SEMLA_BOOTSTRAP_API_KEY_SHA256: API_KEY_SHA256,
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    });
  });

  test("every deploy whose migrations (or bootstrap key) changed invokes it", () => {
    expect(stack.one("aws:lambda/invocation:Invocation", "MigratorInvocation").inputs).toEqual({
      functionName: fn("Migrator").name,
      input: JSON.stringify({ action: "migrate" }),
      triggers: { migrations: migrationsDigest(path.join(ROOT, "migrations")), apiKey: API_KEY_SHA256 },
    });
  });
});

describe("the scheduled sweep", () => {
  test("a function in the VPC opens the registry with the API's configuration, without migrations", () => {
    expect(fn("Sweeper")).toMatchObject({ handler: "functions/api/src/sweep/lambda.handler", runtime: "nodejs22.x", timeout: 300, memorySize: 512 });
    expect(env("Sweeper")).toEqual({
      SEMLA_DATABASE_URL: DATABASE_URL,
      SEMLA_BUCKET: bucket,
      SEMLA_DATA_DIR: "/tmp/semla",
      SEMLA_LOG_LEVEL: "info",
      SEMLA_MIGRATE: "false",
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    });
    expect(stack.one("aws:lambda/function:Function", "SweeperFunction").secretInputs).toContain("environment");
  });

  test("runs daily in dev (each run wakes a paused cluster), invoked by EventBridge alone", () => {
    const rule = stack.one("aws:cloudwatch/eventRule:EventRule", "SweepRule");
    expect(rule.inputs).toMatchObject({ scheduleExpression: "rate(1 day)", state: "ENABLED" });
    expect(stack.one("aws:cloudwatch/eventTarget:EventTarget", "SweepTarget").inputs).toMatchObject({ arn: stack.one("aws:lambda/function:Function", "SweeperFunction").state.arn, input: "{}" });
    expect(stack.one("aws:lambda/permission:Permission", "SweepPermission").inputs).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      sourceArn: rule.state.arn,
    });
  });

  test("lists adapters/ and deletes there, nothing else", () => {
    const arn = `arn:aws:s3:::${bucket}`;
    expect(JSON.parse(stack.one("aws:iam/role:Role", "SweeperRole").inputs.inlinePolicies[0].policy as string).Statement).toEqual([
      { Effect: "Allow", Action: ["s3:DeleteObject"], Resource: [`${arn}/adapters/*`] },
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [arn], Condition: { StringLike: { "s3:prefix": ["adapters/*"] } } },
    ]);
  });
});

describe("the endpoint", () => {
  test("a model of the reference container with the artifacts under models/endpoint/", () => {
    expect(stack.one("aws:sagemaker/model:Model", "EndpointModel").inputs).toEqual({
      executionRoleArn: stack.one("aws:iam/role:Role", "EndpointRole").state.arn,
      primaryContainer: {
        image: ENDPOINT_IMAGE,
        modelDataSource: { s3DataSources: [{ s3Uri: `s3://${bucket}/models/endpoint/`, s3DataType: "S3Prefix", compressionType: "None" }] },
        environment: { SEMLA_BUCKET: bucket, AWS_REGION: "us-east-1", SEMLA_EXECUTION_PROVIDER: "cuda" },
      },
    });
  });

  test("an endpoint of inference components on ml.g4dn.xlarge whose managed instance scaling goes down to 0 instances", () => {
    expect(stack.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "EndpointConfig").inputs).toEqual({
      executionRoleArn: stack.one("aws:iam/role:Role", "EndpointRole").state.arn,
      productionVariants: [
        {
          variantName: "AllTraffic",
          instanceType: "ml.g4dn.xlarge",
          initialInstanceCount: 1,
          managedInstanceScaling: { status: "ENABLED", minInstanceCount: 0, maxInstanceCount: 1 },
          routingConfigs: [{ routingStrategy: "LEAST_OUTSTANDING_REQUESTS" }],
        },
      ],
    });
  });

  test("the segmenter is the endpoint's inference component: one GPU per copy, deployed with 0 copies", () => {
    const component = stack.one("aws:cloudcontrol/resource:Resource", "EndpointInferenceComponent").inputs;
    expect(component.typeName).toBe("AWS::SageMaker::InferenceComponent");
    expect(JSON.parse(component.desiredState as string)).toEqual({
      InferenceComponentName: COMPONENT,
      EndpointName: stack.one("aws:sagemaker/endpoint:Endpoint", "Endpoint").state.name,
      VariantName: "AllTraffic",
      Specification: {
        ModelName: stack.one("aws:sagemaker/model:Model", "EndpointModel").state.name,
        StartupParameters: { ContainerStartupHealthCheckTimeoutInSeconds: 900, ModelDataDownloadTimeoutInSeconds: 1200 },
        ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 8192 },
      },
      RuntimeConfig: { CopyCount: 0 },
    });
  });

  test("its copies scale between 0 and 1, with no load policy (one copy at most)", () => {
    expect(stack.one("aws:appautoscaling/target:Target", "EndpointScalingTarget").inputs).toEqual({
      serviceNamespace: "sagemaker",
      scalableDimension: "sagemaker:inference-component:DesiredCopyCount",
      resourceId: `inference-component/${COMPONENT}`,
      minCapacity: 0,
      maxCapacity: 1,
    });
    const policies = stack.ofType("aws:appautoscaling/policy:Policy").map((policy) => policy.name);
    expect(policies.filter((name) => name.startsWith("Endpoint"))).toEqual(["EndpointScaleToZeroPolicy", "EndpointScaleFromZeroPolicy"]);
  });

  test("after 15 minutes without a request (or a refused one) the copies are set to 0", () => {
    const on = { serviceNamespace: "sagemaker", scalableDimension: "sagemaker:inference-component:DesiredCopyCount", resourceId: `inference-component/${COMPONENT}` };
    const policy = stack.one("aws:appautoscaling/policy:Policy", "EndpointScaleToZeroPolicy");
    expect(policy.inputs).toEqual({
      ...on,
      policyType: "StepScaling",
      stepScalingPolicyConfiguration: { adjustmentType: "ExactCapacity", metricAggregationType: "Maximum", cooldown: 60, stepAdjustments: [{ scalingAdjustment: 0 }] },
    });
    const metric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: { namespace: "AWS/SageMaker", metricName, dimensions: { InferenceComponentName: COMPONENT }, period: 60, stat: "Sum" },
    });
    expect(stack.one("aws:cloudwatch/metricAlarm:MetricAlarm", "EndpointIdleAlarm").inputs).toEqual({
      alarmDescription: "No request reached the segmenter for 15 minutes: scale its copies to 0",
      metricQueries: [
        metric("invocations", "Invocations"),
        metric("refused", "NoCapacityInvocationFailures"),
        { id: "requests", expression: "FILL(invocations, 0) + FILL(refused, 0)", label: "Requests", returnData: true },
      ],
      comparisonOperator: "LessThanOrEqualToThreshold",
      threshold: 0,
      evaluationPeriods: 15,
      datapointsToAlarm: 15,
      treatMissingData: "breaching",
      alarmActions: [policy.state.arn],
    });
  });

  test("a request that finds no copy raises the NoCapacityInvocationFailures alarm, which adds one copy", () => {
    const policy = stack.one("aws:appautoscaling/policy:Policy", "EndpointScaleFromZeroPolicy");
    expect(policy.inputs).toEqual({
      serviceNamespace: "sagemaker",
      scalableDimension: "sagemaker:inference-component:DesiredCopyCount",
      resourceId: `inference-component/${COMPONENT}`,
      policyType: "StepScaling",
      stepScalingPolicyConfiguration: {
        adjustmentType: "ChangeInCapacity",
        metricAggregationType: "Maximum",
        cooldown: 600,
        stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
      },
    });
    expect(stack.one("aws:cloudwatch/metricAlarm:MetricAlarm", "EndpointNoCapacityAlarm").inputs).toEqual({
      alarmDescription: "A request found no copy of the segmenter: add one (scale out from zero)",
      namespace: "AWS/SageMaker",
      metricName: "NoCapacityInvocationFailures",
      dimensions: { InferenceComponentName: COMPONENT },
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      treatMissingData: "notBreaching",
      alarmActions: [policy.state.arn],
    });
  });
});

import { beforeAll, describe, expect, test } from "vitest";
import { DEPLOY_ENV, JOBS_WEBHOOK_SECRET } from "./testing/fixtures";
import { type MockStack, runStack } from "./testing/mock-stack";

/**
 * Issue 19's asynchronous jobs under Pulumi's mocks (the dev stage): the jobs endpoint's
 * AsyncInferenceConfig, its scaling from and to zero on the backlog, and the jobs/ lifecycle rule.
 */
let stack: MockStack;
let bucket: string;
beforeAll(async () => {
  stack = await runStack("dev", DEPLOY_ENV);
  bucket = stack.one("aws:s3/bucket:Bucket", "BucketBucket").state.bucket as string;
}, 60_000);

describe("the jobs endpoint", () => {
  test("runs the segmenter's model with an AsyncInferenceConfig: answers and failures under jobs/, two invocations per instance", () => {
    const config = stack.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "JobsEndpointConfig").inputs;
    expect(config.asyncInferenceConfig).toEqual({
      outputConfig: { s3OutputPath: `s3://${bucket}/jobs/output/`, s3FailurePath: `s3://${bucket}/jobs/failures/` },
      clientConfig: { maxConcurrentInvocationsPerInstance: 2 },
    });
    expect(config.productionVariants).toEqual([
      { variantName: "AllTraffic", modelName: stack.one("aws:sagemaker/model:Model", "EndpointModel").state.name, instanceType: "ml.g4dn.xlarge", initialInstanceCount: 1 },
    ]);
    expect(stack.one("aws:sagemaker/endpoint:Endpoint", "JobsEndpoint").inputs.endpointConfigName).toBe(
      stack.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "JobsEndpointConfig").state.name,
    );
  });

  test("scales its instances between 0 and 1: in on the backlog per instance, out from zero on HasBacklogWithoutCapacity", () => {
    const resourceId = `endpoint/${stack.one("aws:sagemaker/endpoint:Endpoint", "JobsEndpoint").state.name}/variant/AllTraffic`;
    const on = { serviceNamespace: "sagemaker", scalableDimension: "sagemaker:variant:DesiredInstanceCount", resourceId };
    expect(stack.one("aws:appautoscaling/target:Target", "JobsScalingTarget").inputs).toEqual({ ...on, minCapacity: 0, maxCapacity: 1 });
    const endpointName = stack.one("aws:sagemaker/endpoint:Endpoint", "JobsEndpoint").state.name;
    expect(stack.one("aws:appautoscaling/policy:Policy", "JobsBacklogPolicy").inputs).toMatchObject({
      ...on,
      policyType: "TargetTrackingScaling",
      targetTrackingScalingPolicyConfiguration: {
        customizedMetricSpecification: {
          metricName: "ApproximateBacklogSizePerInstance",
          namespace: "AWS/SageMaker",
          dimensions: [{ name: "EndpointName", value: endpointName }],
          statistic: "Average",
        },
        targetValue: 2,
      },
    });
    const fromZero = stack.one("aws:appautoscaling/policy:Policy", "JobsScaleFromZeroPolicy");
    expect(fromZero.inputs).toMatchObject({
      ...on,
      policyType: "StepScaling",
      stepScalingPolicyConfiguration: { adjustmentType: "ChangeInCapacity", stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }] },
    });
    expect(stack.one("aws:cloudwatch/metricAlarm:MetricAlarm", "JobsBacklogWithoutCapacityAlarm").inputs).toMatchObject({
      namespace: "AWS/SageMaker",
      metricName: "HasBacklogWithoutCapacity",
      dimensions: { EndpointName: endpointName },
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      alarmActions: [fromZero.state.arn],
    });
  });

  test("the API invokes it asynchronously (its ARN alone) and is told its name and the jobs' retention", () => {
    const jobs = stack.one("aws:sagemaker/endpoint:Endpoint", "JobsEndpoint").state;
    const statements = JSON.parse(stack.one("aws:iam/role:Role", "ApiRole").inputs.inlinePolicies[0].policy as string).Statement as { Action: string[]; Resource: string[] }[];
    expect(statements.filter((s) => s.Action.some((a) => a.startsWith("sagemaker:InvokeEndpointAsync")))).toEqual([
      { Effect: "Allow", Action: ["sagemaker:InvokeEndpointAsync"], Resource: [jobs.arn] },
    ]);
    const env = stack.one("aws:lambda/function:Function", "ApiFunction").inputs.environment.variables as Record<string, string>;
    expect([env.SEMLA_SAGEMAKER_ASYNC_ENDPOINT, env.SEMLA_JOBS_RETENTION_SECONDS]).toEqual([jobs.name, "604800"]);
  });
});

describe("the jobs runner", () => {
  const fn = (name: string) => stack.one("aws:lambda/function:Function", `${name}Function`).inputs;
  const policy = (role: string) => JSON.parse(stack.one("aws:iam/role:Role", role).inputs.inlinePolicies[0].policy as string).Statement;

  test("runs the jobs' scheduled round with the API's configuration, rights and size, for up to 5 minutes", () => {
    expect(fn("JobsRunner")).toMatchObject({ handler: "functions/api/src/jobs/lambda.handler", runtime: "nodejs22.x", memorySize: 2048, timeout: 300, ephemeralStorage: { size: 2048 } });
    expect(fn("JobsRunner").environment.variables).toEqual(fn("Api").environment.variables);
    expect(policy("JobsRunnerRole")).toEqual(policy("ApiRole"));
    expect(stack.one("aws:lambda/function:Function", "JobsRunnerFunction").secretInputs).toContain("environment");
  });

  test("signs webhooks with a secret generated from the ApiKey secret (nothing more to set)", () => {
    expect(fn("Api").environment.variables.SEMLA_JOBS_WEBHOOK_SECRET).toBe(JOBS_WEBHOOK_SECRET);
  });

  test("is invoked every minute by EventBridge alone, so jobs advance and webhooks fire without a GET", () => {
    const rule = stack.one("aws:cloudwatch/eventRule:EventRule", "JobsRoundRule");
    expect(rule.inputs).toMatchObject({ scheduleExpression: "rate(1 minute)", state: "ENABLED" });
    expect(stack.one("aws:cloudwatch/eventTarget:EventTarget", "JobsRoundTarget").inputs).toMatchObject({ arn: stack.one("aws:lambda/function:Function", "JobsRunnerFunction").state.arn });
    expect(stack.one("aws:lambda/permission:Permission", "JobsRoundPermission").inputs).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      sourceArn: rule.state.arn,
    });
  });
});

import { beforeAll, describe, expect, test } from "vitest";
import { DEPLOY_ENV } from "./testing/fixtures";
import { type MockStack, runStack } from "./testing/mock-stack";

/** The production stage: warm capacity (one copy), autoscaled endpoint, longer retention. */
let stack: MockStack;
beforeAll(async () => {
  stack = await runStack("production", DEPLOY_ENV);
}, 60_000);

describe("the production stack", () => {
  test("the endpoint keeps one ml.g5.xlarge instance and may grow to 4", () => {
    expect(stack.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "EndpointConfig").inputs.productionVariants[0]).toMatchObject({
      instanceType: "ml.g5.xlarge",
      initialInstanceCount: 1,
      managedInstanceScaling: { status: "ENABLED", minInstanceCount: 1, maxInstanceCount: 4 },
    });
    expect(JSON.parse(stack.one("aws:cloudcontrol/resource:Resource", "EndpointInferenceComponent").inputs.desiredState as string)).toMatchObject({
      InferenceComponentName: "semla-serve-production-segmenter",
      RuntimeConfig: { CopyCount: 1 },
    });
  });

  test("its copies autoscale from 1 to 4 on invocations per copy, and never to zero", () => {
    const on = {
      serviceNamespace: "sagemaker",
      scalableDimension: "sagemaker:inference-component:DesiredCopyCount",
      resourceId: "inference-component/semla-serve-production-segmenter",
    };
    expect(stack.one("aws:appautoscaling/target:Target", "EndpointScalingTarget").inputs).toEqual({ ...on, minCapacity: 1, maxCapacity: 4 });
    expect(
      stack
        .ofType("aws:appautoscaling/policy:Policy")
        .map((policy) => policy.name)
        .filter((name) => name.startsWith("Endpoint")),
    ).toEqual(["EndpointScalingPolicy"]);
    expect(stack.one("aws:appautoscaling/policy:Policy", "EndpointScalingPolicy").inputs).toEqual({
      ...on,
      policyType: "TargetTrackingScaling",
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "SageMakerInferenceComponentInvocationsPerCopy" },
        targetValue: 600,
        scaleOutCooldown: 60,
        scaleInCooldown: 600,
      },
    });
    // The component's alarms, none (the jobs endpoint has its own: stack-jobs.program.test.ts).
    expect(stack.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((alarm) => alarm.name.startsWith("Endpoint"))).toEqual([]);
  });

  test("Aurora keeps 0.5 ACU warm, scales to 8", () => {
    expect(stack.one("aws:rds/cluster:Cluster", "DatabaseCluster").inputs.serverlessv2ScalingConfiguration).toEqual({ minCapacity: 0.5, maxCapacity: 8 });
  });

  test("the API has two full vCPUs (3584 MB) and logs are kept 3 months", () => {
    expect(stack.one("aws:lambda/function:Function", "ApiFunction").inputs).toMatchObject({ memorySize: 3584, timeout: 60, ephemeralStorage: { size: 2048 } });
    expect(stack.one("aws:cloudwatch/logGroup:LogGroup", "ApiLogGroup").inputs.retentionInDays).toBe(90);
  });

  test("fused adapters are cached 30 days", () => {
    expect(stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "BucketLifecycle").inputs.rules[0]).toEqual({
      id: "expire-fused",
      status: "Enabled",
      filter: { prefix: "fused/" },
      expiration: { days: 30 },
    });
  });
});

import { beforeAll, describe, expect, test } from "vitest";
import { DEPLOY_ENV } from "./testing/fixtures";
import { type MockStack, runStack } from "./testing/mock-stack";

/** Production deployed with SEMLA_ENDPOINT_MIN_COPIES=0 and SEMLA_ENDPOINT_IDLE_MINUTES=30: load policy and scale to zero together. */
let stack: MockStack;
beforeAll(async () => {
  stack = await runStack("production", { ...DEPLOY_ENV, SEMLA_ENDPOINT_MIN_COPIES: "0", SEMLA_ENDPOINT_IDLE_MINUTES: "30" });
}, 60_000);

const COMPONENT = "semla-serve-production-segmenter";

describe("production with a minimum of 0 copies", () => {
  test("the endpoint and its component may go down to 0 instances and deploy with none", () => {
    expect(stack.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "EndpointConfig").inputs.productionVariants[0]).toMatchObject({
      initialInstanceCount: 1,
      managedInstanceScaling: { status: "ENABLED", minInstanceCount: 0, maxInstanceCount: 4 },
    });
    expect(JSON.parse(stack.one("aws:cloudcontrol/resource:Resource", "EndpointInferenceComponent").inputs.desiredState as string).RuntimeConfig).toEqual({ CopyCount: 0 });
    expect(stack.one("aws:appautoscaling/target:Target", "EndpointScalingTarget").inputs).toMatchObject({ minCapacity: 0, maxCapacity: 4 });
  });

  test("the load policy, the idle policy and the way back from zero, all on the component", () => {
    const policies = stack.ofType("aws:appautoscaling/policy:Policy").filter((policy) => policy.name.startsWith("Endpoint"));
    expect(policies.map((policy) => [policy.name, policy.inputs.policyType, policy.inputs.resourceId])).toEqual([
      ["EndpointScalingPolicy", "TargetTrackingScaling", `inference-component/${COMPONENT}`],
      ["EndpointScaleToZeroPolicy", "StepScaling", `inference-component/${COMPONENT}`],
      ["EndpointScaleFromZeroPolicy", "StepScaling", `inference-component/${COMPONENT}`],
    ]);
    expect(stack.one("aws:cloudwatch/metricAlarm:MetricAlarm", "EndpointIdleAlarm").inputs).toMatchObject({ evaluationPeriods: 30, datapointsToAlarm: 30 });
    expect(stack.one("aws:cloudwatch/metricAlarm:MetricAlarm", "EndpointNoCapacityAlarm").inputs).toMatchObject({
      metricName: "NoCapacityInvocationFailures",
      dimensions: { InferenceComponentName: COMPONENT },
    });
  });
});

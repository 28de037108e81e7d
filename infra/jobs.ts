import type { Endpoint } from "./endpoint";
import type { StageSettings } from "./settings";
import { PREFIXES, type Storage } from "./storage";

/** The jobs endpoint's one production variant (the autoscaling resource id names it). */
export const JOBS_VARIANT_NAME = "AllTraffic";
const NAMESPACE = "AWS/SageMaker";

/**
 * The endpoint of asynchronous jobs (POST /v1/jobs): the segmenter's model on a variant of its own
 * with an AsyncInferenceConfig, because InvokeEndpointAsync names no inference component (the
 * real-time endpoint hosts the segmenter as one). Requests queue in SageMaker; inputs and answers
 * are objects under jobs/ (the API polls the output and failure locations: no SNS topic needed).
 * Its instances scale on the backlog: to zero when it is empty, out from zero on
 * HasBacklogWithoutCapacity.
 */
export function createJobsEndpoint(settings: StageSettings, storage: Storage, endpoint: Pick<Endpoint, "model">) {
  const { bucket } = storage;
  const { jobs } = settings;
  const config = new aws.sagemaker.EndpointConfiguration("JobsEndpointConfig", {
    productionVariants: [{ variantName: JOBS_VARIANT_NAME, modelName: endpoint.model.name, instanceType: settings.endpoint.instanceType, initialInstanceCount: 1 }],
    asyncInferenceConfig: {
      outputConfig: {
        s3OutputPath: $interpolate`s3://${bucket.name}/${PREFIXES.jobsOutput}`,
        s3FailurePath: $interpolate`s3://${bucket.name}/${PREFIXES.jobsFailures}`,
      },
      clientConfig: { maxConcurrentInvocationsPerInstance: jobs.maxConcurrentInvocationsPerInstance },
    },
  });
  const jobsEndpoint = new aws.sagemaker.Endpoint("JobsEndpoint", { endpointConfigName: config.name });

  const target = new aws.appautoscaling.Target("JobsScalingTarget", {
    serviceNamespace: "sagemaker",
    scalableDimension: "sagemaker:variant:DesiredInstanceCount",
    resourceId: $interpolate`endpoint/${jobsEndpoint.name}/variant/${JOBS_VARIANT_NAME}`,
    minCapacity: 0,
    maxCapacity: jobs.maxInstances,
  });
  const on = { serviceNamespace: target.serviceNamespace, scalableDimension: target.scalableDimension, resourceId: target.resourceId };
  const backlog = new aws.appautoscaling.Policy("JobsBacklogPolicy", {
    ...on,
    policyType: "TargetTrackingScaling",
    targetTrackingScalingPolicyConfiguration: {
      customizedMetricSpecification: {
        metricName: "ApproximateBacklogSizePerInstance",
        namespace: NAMESPACE,
        dimensions: [{ name: "EndpointName", value: jobsEndpoint.name }],
        statistic: "Average",
      },
      targetValue: jobs.maxConcurrentInvocationsPerInstance,
      // Out fast, in after ten quiet minutes (to zero: target tracking scales in to minCapacity).
      scaleOutCooldown: 60,
      scaleInCooldown: 600,
    },
  });
  const scaleFromZero = new aws.appautoscaling.Policy("JobsScaleFromZeroPolicy", {
    ...on,
    policyType: "StepScaling",
    stepScalingPolicyConfiguration: {
      adjustmentType: "ChangeInCapacity",
      metricAggregationType: "Average",
      cooldown: 300,
      stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
    },
  });
  const backlogAlarm = new aws.cloudwatch.MetricAlarm("JobsBacklogWithoutCapacityAlarm", {
    alarmDescription: "Jobs are queued and the jobs endpoint has no instance: add one (scale out from zero)",
    namespace: NAMESPACE,
    metricName: "HasBacklogWithoutCapacity",
    dimensions: { EndpointName: jobsEndpoint.name },
    statistic: "Average",
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    treatMissingData: "missing",
    alarmActions: [scaleFromZero.arn],
  });
  return { config, endpoint: jobsEndpoint, arn: jobsEndpoint.arn, scaling: { target, backlog, scaleFromZero, backlogAlarm } };
}

export type JobsEndpoint = ReturnType<typeof createJobsEndpoint>;

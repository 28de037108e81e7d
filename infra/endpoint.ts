import { createHash } from "node:crypto";
import { bucketPermissions, JOBS_ENDPOINT_BUCKET_ACCESS } from "./iam";
import type { EcrImage } from "./image";
import type { StageSettings } from "./settings";
import { PREFIXES, type Storage } from "./storage";

/** One production variant; the autoscaling resource id and the API's calls name it. */
export const VARIANT_NAME = "AllTraffic";

/**
 * The SageMaker GPU endpoint running the reference inference server (functions/endpoint): a model
 * (container image + the artifacts under models/endpoint/, unpacked to /opt/ml/model), an endpoint
 * configuration (instance type, managed instance scaling from the stage's minimum copies, 0 allowed),
 * the endpoint, the inference component hosting the model on it, and its copies' autoscaling.
 */
export function createEndpoint(settings: StageSettings, storage: Storage, image: EcrImage) {
  const { bucket } = storage;
  const partition = aws.getPartitionOutput().partition;
  const region = aws.getRegionOutput().region;
  const account = aws.getCallerIdentityOutput().accountId;

  const role = new aws.iam.Role("EndpointRole", {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "sagemaker.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
  });

  const repositoryArn = $interpolate`arn:${partition}:ecr:${image.region}:${image.account}:repository/${image.repository}`;
  const logGroups = $interpolate`arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/*`;
  const statements = [
    // The jobs endpoint runs the same model with this role: its asynchronous inputs and answers too.
    ...bucketPermissions(bucket.arn, JOBS_ENDPOINT_BUCKET_ACCESS),
    { actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], resources: [repositoryArn] },
    // GetAuthorizationToken is account-wide: IAM has no resource to scope it to (the one exception).
    { actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
    { actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], resources: [logGroups, $interpolate`${logGroups}:*`] },
  ];
  new aws.iam.RolePolicy("EndpointRolePolicy", {
    role: role.id,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: statements.map((statement) => ({
        Effect: "Allow",
        Action: statement.actions,
        Resource: statement.resources,
        ...("conditions" in statement && statement.conditions ? { Condition: Object.fromEntries(statement.conditions.map((c) => [c.test, { [c.variable]: c.values }])) } : {}),
      })),
    }),
  });

  const model = new aws.sagemaker.Model("EndpointModel", {
    executionRoleArn: role.arn,
    primaryContainer: {
      image: image.uri,
      // Uncompressed: SageMaker copies the prefix as it is, no tarball to rebuild per model change.
      modelDataSource: {
        s3DataSources: [{ s3Uri: $interpolate`s3://${bucket.name}/${PREFIXES.endpointModel}`, s3DataType: "S3Prefix", compressionType: "None" }],
      },
      environment: {
        // The store under the API's names (@semla/service/store; SEMLA_ADAPTER_* are deprecated aliases).
        SEMLA_BUCKET: bucket.name,
        AWS_REGION: region,
        SEMLA_EXECUTION_PROVIDER: "cuda",
      },
    },
  });

  const { instanceType, minCopies, maxCopies } = settings.endpoint;
  const config = new aws.sagemaker.EndpointConfiguration("EndpointConfig", {
    // An endpoint of inference components: the role is the endpoint's, the model the component's.
    executionRoleArn: role.arn,
    productionVariants: [
      {
        variantName: VARIANT_NAME,
        instanceType,
        // SageMaker starts an endpoint with at least one instance; with no copy placed on it, managed
        // instance scaling releases it (down to minInstanceCount).
        initialInstanceCount: Math.max(1, minCopies),
        managedInstanceScaling: { status: "ENABLED", minInstanceCount: minCopies, maxInstanceCount: maxCopies },
        routingConfigs: [{ routingStrategy: "LEAST_OUTSTANDING_REQUESTS" }],
      },
    ],
  });

  const endpoint = new aws.sagemaker.Endpoint("Endpoint", { endpointConfigName: config.name });

  // @pulumi/aws (7.20.0, SST 4.17.1's pin) has no InferenceComponent resource: Cloud Control API
  // manages the CloudFormation type through the same provider (no extra plugin to install).
  const componentName = inferenceComponentName($app.name, $app.stage);
  const component = new aws.cloudcontrol.Resource(
    "EndpointInferenceComponent",
    {
      typeName: "AWS::SageMaker::InferenceComponent",
      desiredState: $jsonStringify({
        InferenceComponentName: componentName,
        EndpointName: endpoint.name,
        VariantName: VARIANT_NAME,
        Specification: {
          ModelName: model.name,
          // The image carries CUDA libraries (GBs) and the models are downloaded before /ping answers.
          StartupParameters: { ContainerStartupHealthCheckTimeoutInSeconds: 900, ModelDataDownloadTimeoutInSeconds: 1200 },
          // One GPU per copy: a copy is an instance.
          ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: settings.endpoint.copyMemoryMb },
        },
        // Deployed at the minimum: a deploy leaves a scaled-to-zero stage at zero.
        RuntimeConfig: { CopyCount: minCopies },
      }),
    },
    // The name is fixed: a replacement must delete the old component first.
    { deleteBeforeReplace: true },
  );
  const componentArn = $interpolate`arn:${partition}:sagemaker:${region}:${account}:inference-component/${componentName}`;

  return { role, model, config, endpoint, component, componentName, componentArn, scaling: createScaling(settings, componentName, component) };
}

/**
 * The inference component's name: the app's and the stage's, as SageMaker allows (lower-case
 * letters, digits, hyphens, at most 63 characters; a long stage name is cut and hashed).
 */
export function inferenceComponentName(app: string, stage: string): string {
  const name = `${app}-${stage}-segmenter`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (name.length <= 63) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

const NAMESPACE = "AWS/SageMaker";
/** A cold start takes minutes: one alarm adds one copy, not one per minute of waiting requests. */
export const SCALE_FROM_ZERO_COOLDOWN_SECONDS = 600;

/**
 * Application Auto Scaling of the component's copies: a load policy (target tracking on invocations
 * per copy) when more than one copy is allowed; with minCopies 0, a step policy setting the copies to
 * 0 after the idle time, and the way back from zero: SageMaker answers a request with no copy as a
 * NoCapacityInvocationFailures datapoint, whose alarm drives a step policy adding a copy.
 */
function createScaling(settings: StageSettings, componentName: string, component: aws.cloudcontrol.Resource) {
  const { minCopies, maxCopies } = settings.endpoint;
  if (minCopies === maxCopies) return undefined;
  const dimensions = { InferenceComponentName: componentName };
  const target = new aws.appautoscaling.Target(
    "EndpointScalingTarget",
    {
      serviceNamespace: "sagemaker",
      scalableDimension: "sagemaker:inference-component:DesiredCopyCount",
      resourceId: `inference-component/${componentName}`,
      minCapacity: minCopies,
      maxCapacity: maxCopies,
    },
    { dependsOn: [component] },
  );
  const on = { serviceNamespace: target.serviceNamespace, scalableDimension: target.scalableDimension, resourceId: target.resourceId };

  const load =
    maxCopies > 1
      ? new aws.appautoscaling.Policy("EndpointScalingPolicy", {
          ...on,
          policyType: "TargetTrackingScaling",
          targetTrackingScalingPolicyConfiguration: {
            predefinedMetricSpecification: { predefinedMetricType: "SageMakerInferenceComponentInvocationsPerCopy" },
            targetValue: settings.endpoint.invocationsPerCopyPerMinute,
            // Out fast (a GPU instance takes minutes to start), in slowly (and pay for it a while).
            scaleOutCooldown: 60,
            scaleInCooldown: 600,
          },
        })
      : undefined;

  const idleMinutes = settings.endpoint.scaleToZeroAfterMinutes;
  if (minCopies > 0 || idleMinutes === undefined) return { target, load };

  const scaleToZero = new aws.appautoscaling.Policy("EndpointScaleToZeroPolicy", {
    ...on,
    policyType: "StepScaling",
    stepScalingPolicyConfiguration: {
      adjustmentType: "ExactCapacity",
      metricAggregationType: "Maximum",
      cooldown: 60,
      // One step over the whole range: the alarm alone decides (an idle component publishes no
      // datapoints, so there may be no value to place in a bounded step).
      stepAdjustments: [{ scalingAdjustment: 0 }],
    },
  });
  const metric = (id: string, metricName: string) => ({ id, returnData: false, metric: { namespace: NAMESPACE, metricName, dimensions, period: 60, stat: "Sum" } });
  const idleAlarm = new aws.cloudwatch.MetricAlarm("EndpointIdleAlarm", {
    alarmDescription: `No request reached the segmenter for ${idleMinutes} minutes: scale its copies to 0`,
    // Requests refused for want of a copy count as traffic: a wake-up is not undone while it starts.
    metricQueries: [
      metric("invocations", "Invocations"),
      metric("refused", "NoCapacityInvocationFailures"),
      { id: "requests", expression: "FILL(invocations, 0) + FILL(refused, 0)", label: "Requests", returnData: true },
    ],
    comparisonOperator: "LessThanOrEqualToThreshold",
    threshold: 0,
    evaluationPeriods: idleMinutes,
    datapointsToAlarm: idleMinutes,
    // SageMaker publishes nothing for a minute without requests.
    treatMissingData: "breaching",
    alarmActions: [scaleToZero.arn],
  });

  const scaleFromZero = new aws.appautoscaling.Policy("EndpointScaleFromZeroPolicy", {
    ...on,
    policyType: "StepScaling",
    stepScalingPolicyConfiguration: {
      adjustmentType: "ChangeInCapacity",
      metricAggregationType: "Maximum",
      cooldown: SCALE_FROM_ZERO_COOLDOWN_SECONDS,
      stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
    },
  });
  const noCapacityAlarm = new aws.cloudwatch.MetricAlarm("EndpointNoCapacityAlarm", {
    alarmDescription: "A request found no copy of the segmenter: add one (scale out from zero)",
    namespace: NAMESPACE,
    metricName: "NoCapacityInvocationFailures",
    dimensions,
    statistic: "Sum",
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    treatMissingData: "notBreaching",
    alarmActions: [scaleFromZero.arn],
  });

  return { target, load, scaleToZero, idleAlarm, scaleFromZero, noCapacityAlarm };
}

export type Endpoint = ReturnType<typeof createEndpoint>;

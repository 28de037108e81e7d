import { bucketPermissions, ENDPOINT_BUCKET_ACCESS } from "./iam";
import type { EcrImage } from "./image";
import type { StageSettings } from "./settings";
import { PREFIXES, type Storage } from "./storage";

/** One production variant; the autoscaling resource id and the API's calls name it. */
export const VARIANT_NAME = "AllTraffic";

/**
 * The SageMaker GPU endpoint running the reference inference server (functions/endpoint): a model
 * (container image + the artifacts under models/endpoint/, unpacked to /opt/ml/model), an endpoint
 * configuration (instance type and count) and the endpoint, plus target-tracking autoscaling on
 * invocations per instance when the stage allows more than one instance.
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
    ...bucketPermissions(bucket.arn, ENDPOINT_BUCKET_ACCESS),
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

  const config = new aws.sagemaker.EndpointConfiguration("EndpointConfig", {
    productionVariants: [
      {
        variantName: VARIANT_NAME,
        modelName: model.name,
        instanceType: settings.endpoint.instanceType,
        initialInstanceCount: settings.endpoint.minInstances,
        // The image carries CUDA libraries (GBs) and the models are downloaded before /ping answers.
        containerStartupHealthCheckTimeoutInSeconds: 900,
        modelDataDownloadTimeoutInSeconds: 1200,
      },
    ],
  });

  const endpoint = new aws.sagemaker.Endpoint("Endpoint", { endpointConfigName: config.name });

  let scaling: { target: aws.appautoscaling.Target; policy: aws.appautoscaling.Policy } | undefined;
  if (settings.endpoint.maxInstances > settings.endpoint.minInstances) {
    const target = new aws.appautoscaling.Target("EndpointScalingTarget", {
      serviceNamespace: "sagemaker",
      scalableDimension: "sagemaker:variant:DesiredInstanceCount",
      resourceId: $interpolate`endpoint/${endpoint.name}/variant/${VARIANT_NAME}`,
      minCapacity: settings.endpoint.minInstances,
      maxCapacity: settings.endpoint.maxInstances,
    });
    const policy = new aws.appautoscaling.Policy("EndpointScalingPolicy", {
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
        targetValue: settings.endpoint.invocationsPerInstancePerMinute,
        // Out fast (a GPU instance takes minutes to start), in slowly (and pay for it a while).
        scaleOutCooldown: 60,
        scaleInCooldown: 600,
      },
    });
    scaling = { target, policy };
  }

  return { role, model, config, endpoint, scaling };
}

export type Endpoint = ReturnType<typeof createEndpoint>;

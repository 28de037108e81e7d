/**
 * The list prices the cost model (infra/costs.ts) multiplies the stack's settings by: on-demand,
 * us-east-1, in US dollars, as published on aws.amazon.com/pricing. One dated table: when a price
 * changes, change it here and the README's cost section follows (its test regenerates it).
 *
 * The SageMaker instance table is also the list of instance types a stage may name
 * (infra/settings.ts refuses an unpriced one): the cost of every deployable stack is known.
 */

/** When these prices were read, and where they apply. */
export const PRICES_AS_OF = {
  region: "us-east-1",
  /** Read from aws.amazon.com/pricing in 2025; not re-checked since (the build machines have no internet access). */
  read: "2025",
  checked: "2026-12-03",
} as const;

/** Hours in the month the model bills (AWS's own convention: 365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

export interface SageMakerInstance {
  /** Real-time hosting, per instance-hour (the same rate with or without inference components). */
  readonly hourly: number;
  readonly vcpus: number;
  readonly memoryGiB: number;
  readonly gpus: number;
}

/**
 * SageMaker real-time inference instances (GPU types; a segmenter copy takes one GPU). Add a row,
 * with its list price, to deploy another type.
 */
export const SAGEMAKER_INSTANCES: Readonly<Record<string, SageMakerInstance>> = {
  "ml.g4dn.xlarge": { hourly: 0.7364, vcpus: 4, memoryGiB: 16, gpus: 1 },
  "ml.g5.xlarge": { hourly: 1.408, vcpus: 4, memoryGiB: 16, gpus: 1 },
};

export const PRICES = {
  lambda: {
    /** x86_64, per GB-second of configured memory. */
    gbSecond: 0.0000166667,
    perMillionRequests: 0.2,
    /** Ephemeral storage above the free 512 MB, per GB-second. */
    ephemeralGbSecond: 0.0000000309,
  },
  aurora: {
    /** Aurora PostgreSQL Serverless v2 (Standard), per ACU-hour; nothing while paused at 0 ACU. */
    acuHour: 0.12,
    storageGbMonth: 0.1,
    perMillionIo: 0.2,
    /** The Data API on Serverless v2, per million API requests (the first billion a month). */
    dataApiPerMillionRequests: 0.35,
  },
  rds: {
    /** RDS PostgreSQL single-AZ instances, per hour (class without "db."). */
    instanceHourly: { "t4g.micro": 0.016, "m7g.large": 0.168 } as Readonly<Record<string, number>>,
    gp3GbMonth: 0.115,
  },
  vpc: {
    /** An interface endpoint, per AZ-hour, and per GB it processes. */
    interfaceEndpointAzHour: 0.01,
    interfaceEndpointGb: 0.01,
    /** Gateway endpoints (S3) are free; the stack has no NAT gateway. */
    gatewayEndpoint: 0,
  },
  s3: {
    standardGbMonth: 0.023,
    perThousandPut: 0.005,
    perThousandGet: 0.0004,
  },
  secretsManager: { secretMonth: 0.4 },
  ecr: { gbMonth: 0.1 },
  cloudwatch: {
    logsGbIngested: 0.5,
    /** A standard-resolution alarm on one metric, per month; a metric-math alarm bills each metric it reads. */
    alarmMetricMonth: 0.1,
  },
} as const;

/**
 * Per-stage settings of the deployable stack: plain data, validated before any resource is
 * declared, so a bad value fails `sst deploy` with a message instead of half-creating a stack.
 * `production` gets the production settings; every other stage (dev, personal stages, pull
 * requests) gets the smallest ones, which scale to zero where AWS allows it.
 */
import { SAGEMAKER_INSTANCES } from "./prices.js";

export type DatabaseSettings =
  | {
      /** Aurora PostgreSQL Serverless v2: pay per ACU-second, 0 ACU pauses the cluster when idle. */
      readonly kind: "aurora";
      readonly minAcu: number;
      readonly maxAcu: number;
      /** Idle time before a 0-ACU cluster pauses (Aurora allows 5–60 minutes); only with minAcu 0. */
      readonly pauseAfterMinutes?: number;
    }
  | {
      /** A provisioned RDS PostgreSQL instance: a fixed hourly price, no cold resume. */
      readonly kind: "rds";
      readonly instance: string;
      readonly storageGb: number;
    };

/**
 * How the functions reach the database. "vpc": the functions sit in the VPC beside the cluster and
 * connect with the pg driver (SEMLA_DATABASE_URL); S3 through a gateway endpoint, SageMaker Runtime
 * through an interface endpoint. "data-api": the functions sit outside any VPC and reach Aurora
 * through its Data API (HTTPS, IAM; SEMLA_DATA_API_*), S3 and SageMaker Runtime through their
 * public endpoints: no interface endpoint to pay for at rest. Aurora only (RDS has no Data API).
 */
export type NetworkMode = "vpc" | "data-api";
export const NETWORK_MODES: readonly NetworkMode[] = ["vpc", "data-api"];

export interface StageSettings {
  readonly network: NetworkMode;
  readonly database: DatabaseSettings;
  readonly api: {
    readonly memoryMb: number;
    readonly timeoutSeconds: number;
    /**
     * /tmp holds the models folder downloaded on a cold start (models.json + CLIP vision, 345 MB
     * at ViT-B/16, + text encoder + segmentation model): sized for all three with room to spare.
     */
    readonly ephemeralStorageMb: number;
  };
  /**
   * The GPU endpoint hosts the segmenter as an inference component; each copy takes one GPU, so
   * copies are instances (the endpoint's managed instance scaling follows the copies).
   */
  readonly endpoint: {
    readonly instanceType: string;
    /** Copies kept with no traffic: 0 lets the endpoint scale to zero instances (and cost nothing at rest). */
    readonly minCopies: number;
    readonly maxCopies: number;
    /** Minutes without a request before the last copy goes; only with minCopies 0. */
    readonly scaleToZeroAfterMinutes?: number;
    /** Target of the load policy (SageMakerInferenceComponentInvocationsPerCopy, per minute). */
    readonly invocationsPerCopyPerMinute: number;
    /** Memory one copy reserves on its instance (the inference component's MinMemoryRequiredInMb). */
    readonly copyMemoryMb: number;
  };
  /**
   * Asynchronous jobs (POST /v1/jobs) run on a second endpoint of the same model with SageMaker's
   * AsyncInferenceConfig (InvokeEndpointAsync names no inference component): its instances scale
   * from 0 on the queue's backlog.
   */
  readonly jobs: {
    /** A job's results and objects (jobs/ in the bucket) are kept this long; the lifecycle rule removes leftovers a day later. */
    readonly retentionDays: number;
    /** AsyncInferenceConfig's MaxConcurrentInvocationsPerInstance: requests one instance takes from the queue at once. */
    readonly maxConcurrentInvocationsPerInstance: number;
    /** Instances the backlog may scale out to. */
    readonly maxInstances: number;
    /**
     * How often the jobs runner function advances jobs (submits, collects, calls webhooks): an
     * EventBridge schedule. A run with no active job lists the bucket and stops (the database stays paused).
     */
    readonly runnerSchedule: `rate(${string})` | `cron(${string})`;
  };
  readonly storage: {
    /** The fused-adapter cache is content-addressed and rebuilt on demand: expire it. */
    readonly fusedExpiryDays: number;
    /** Presigned uploads are consumed by ingestion within minutes; leftovers are garbage. */
    readonly uploadsExpiryDays: number;
  };
  /**
   * How often the sweep function removes what interrupted uploads left (stale pending rows, orphan
   * objects): an EventBridge schedule expression. Each run wakes a paused Aurora cluster.
   */
  readonly sweepSchedule: `rate(${string})` | `cron(${string})`;
  readonly logRetention: "1 week" | "1 month" | "3 months";
}

/**
 * The VPC of a "vpc" stage (infra/network.ts builds it; infra/costs.ts prices it): two AZs (an
 * Aurora/RDS subnet group needs two), no NAT gateway, a free S3 gateway endpoint and these
 * interface endpoints, each billed per AZ-hour whether used or not.
 */
export const VPC_LAYOUT = { availabilityZones: 2, natGateways: 0, s3Gateway: true, interfaceEndpoints: ["sagemaker.runtime"] } as const;

/**
 * The VPC of a "data-api" stage: only the cluster's subnet group lives in it (Aurora Serverless v2
 * needs subnets in two AZs even when reached through the Data API alone). A VPC, its subnets, route
 * tables, internet gateway and security groups cost nothing; no NAT, no endpoint of any kind.
 */
export const DATA_API_VPC_LAYOUT = { availabilityZones: 2, natGateways: 0, s3Gateway: false, interfaceEndpoints: [] } as const;

export type VpcLayout = typeof VPC_LAYOUT | typeof DATA_API_VPC_LAYOUT;

/** The VPC layout a stage's network mode builds. */
export const vpcLayout = (network: NetworkMode): VpcLayout => (network === "vpc" ? VPC_LAYOUT : DATA_API_VPC_LAYOUT);

/** Aurora PostgreSQL 16.3+ supports 0 ACU (auto-pause); pgvector 0.8 ships with it. */
export const AURORA_POSTGRES_VERSION = "16.6";
export const RDS_POSTGRES_VERSION = "16.6";

const dev: StageSettings = {
  // No VPC endpoints: the functions reach Aurora through its Data API (no interface endpoint at $14.60 a month).
  network: "data-api",
  database: { kind: "aurora", minAcu: 0, maxAcu: 2, pauseAfterMinutes: 10 },
  // 2048 MB is 1.16 vCPU: ViT-B/16 embeds in ~250 ms with one intra-op thread.
  api: { memoryMb: 2048, timeoutSeconds: 60, ephemeralStorageMb: 2048 },
  // Scaled to zero after 15 idle minutes: the first request after that waits minutes for a GPU.
  endpoint: { instanceType: "ml.g4dn.xlarge", minCopies: 0, maxCopies: 1, scaleToZeroAfterMinutes: 15, invocationsPerCopyPerMinute: 600, copyMemoryMb: 8192 },
  jobs: { retentionDays: 7, maxConcurrentInvocationsPerInstance: 2, maxInstances: 1, runnerSchedule: "rate(1 minute)" },
  storage: { fusedExpiryDays: 7, uploadsExpiryDays: 1 },
  // Daily: a paused dev cluster is woken once a day, not every few minutes.
  sweepSchedule: "rate(1 day)",
  logRetention: "1 week",
};

const production: StageSettings = {
  // In the VPC: the pg driver's pooled connections answer in ~1 ms a statement where each Data API
  // call is an HTTPS round trip, and the interface endpoint is 1.4% of the warm GPU's cost.
  network: "vpc",
  // Kept warm: a paused cluster takes ~15 s to resume on the first request.
  database: { kind: "aurora", minAcu: 0.5, maxAcu: 8 },
  // 3584 MB is two full vCPUs: ViT-B/16 embeds in ~150 ms with two intra-op threads.
  api: { memoryMb: 3584, timeoutSeconds: 60, ephemeralStorageMb: 2048 },
  // One copy kept warm (SEMLA_ENDPOINT_MIN_COPIES=0 lets production scale to zero too).
  endpoint: { instanceType: "ml.g5.xlarge", minCopies: 1, maxCopies: 4, invocationsPerCopyPerMinute: 600, copyMemoryMb: 8192 },
  jobs: { retentionDays: 7, maxConcurrentInvocationsPerInstance: 2, maxInstances: 2, runnerSchedule: "rate(1 minute)" },
  storage: { fusedExpiryDays: 30, uploadsExpiryDays: 1 },
  sweepSchedule: "rate(1 hour)",
  logRetention: "3 months",
};

export class StageSettingsError extends Error {
  override readonly name = "StageSettingsError";
}

function check(condition: boolean, setting: string, rule: string, value: unknown): void {
  if (!condition) throw new StageSettingsError(`stage setting ${setting} = ${JSON.stringify(value)}: ${rule}`);
}

const isWhole = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

/**
 * The endpoint's limits: SageMaker's (an inference component's CopyCount ≥ 0, ManagedInstanceScaling
 * MinInstanceCount ≥ 0 and MaxInstanceCount ≥ 1, a copy's memory within its instance's), CloudWatch's
 * (an alarm evaluates at most one day: periods × 60 s ≤ 86,400 s) and the price table's (a type
 * infra/prices.ts has no price for could not be costed).
 */
function checkEndpoint(endpoint: StageSettings["endpoint"]): void {
  const instance = SAGEMAKER_INSTANCES[endpoint.instanceType];
  check(
    instance !== undefined,
    "endpoint.instanceType",
    `must be a SageMaker GPU instance type infra/prices.ts prices (${Object.keys(SAGEMAKER_INSTANCES).join(", ")}); add a row there for another`,
    endpoint.instanceType,
  );
  check(isWhole(endpoint.minCopies) && endpoint.minCopies >= 0, "endpoint.minCopies", "must be a whole number ≥ 0 (0 scales the endpoint to zero instances when idle)", endpoint.minCopies);
  check(
    isWhole(endpoint.maxCopies) && endpoint.maxCopies >= Math.max(1, endpoint.minCopies),
    "endpoint.maxCopies",
    `must be a whole number ≥ 1 and ≥ endpoint.minCopies (${endpoint.minCopies})`,
    endpoint.maxCopies,
  );
  if (endpoint.minCopies === 0) {
    const idle = endpoint.scaleToZeroAfterMinutes;
    check(isWhole(idle) && idle >= 1 && idle <= 1440, "endpoint.scaleToZeroAfterMinutes", "must be a whole number of minutes from 1 to 1440 (a CloudWatch alarm evaluates at most one day)", idle);
  } else {
    check(
      endpoint.scaleToZeroAfterMinutes === undefined,
      "endpoint.scaleToZeroAfterMinutes",
      "applies only when endpoint.minCopies is 0 (the endpoint never scales to zero otherwise)",
      endpoint.scaleToZeroAfterMinutes,
    );
  }
  check(endpoint.invocationsPerCopyPerMinute > 0, "endpoint.invocationsPerCopyPerMinute", "must be positive", endpoint.invocationsPerCopyPerMinute);
  const instanceMb = (instance?.memoryGiB ?? 0) * 1024;
  check(
    isWhole(endpoint.copyMemoryMb) && endpoint.copyMemoryMb >= 128 && endpoint.copyMemoryMb <= instanceMb,
    "endpoint.copyMemoryMb",
    `must be a whole number of MB from 128 to the instance's memory (${instanceMb} MB on ${endpoint.instanceType})`,
    endpoint.copyMemoryMb,
  );
}

/** Every limit here is AWS's own (Lambda, Aurora Serverless v2, SageMaker inference components, CloudWatch). */
export function validateSettings(settings: StageSettings): StageSettings {
  const { database: db, api, endpoint, storage } = settings;
  if (db.kind === "aurora") {
    const halfSteps = (acu: number) => Number.isInteger(acu * 2);
    check(db.minAcu >= 0 && db.minAcu <= 256 && halfSteps(db.minAcu), "database.minAcu", "must be 0–256 ACU in steps of 0.5", db.minAcu);
    check(db.maxAcu >= 1 && db.maxAcu <= 256 && halfSteps(db.maxAcu), "database.maxAcu", "must be 1–256 ACU in steps of 0.5", db.maxAcu);
    check(db.maxAcu >= db.minAcu, "database.maxAcu", `must be at least database.minAcu (${db.minAcu})`, db.maxAcu);
    if (db.minAcu === 0) {
      const pause = db.pauseAfterMinutes;
      check(pause !== undefined && Number.isInteger(pause) && pause >= 5 && pause <= 60, "database.pauseAfterMinutes", "must be a whole number of minutes from 5 to 60", pause);
    } else {
      check(db.pauseAfterMinutes === undefined, "database.pauseAfterMinutes", "applies only when database.minAcu is 0 (the cluster never pauses otherwise)", db.pauseAfterMinutes);
    }
  } else {
    check(/^[a-z0-9]+\.[a-z0-9]+$/.test(db.instance), "database.instance", 'must be an RDS instance class without "db.", e.g. "t4g.micro"', db.instance);
    check(Number.isInteger(db.storageGb) && db.storageGb >= 20 && db.storageGb <= 65536, "database.storageGb", "must be 20–65536 GB", db.storageGb);
  }
  check(NETWORK_MODES.includes(settings.network), "network", `must be ${NETWORK_MODES.map((mode) => JSON.stringify(mode)).join(" or ")}`, settings.network);
  check(settings.network !== "data-api" || db.kind === "aurora", "network", `"data-api" needs Aurora (database.kind is ${JSON.stringify(db.kind)}; RDS has no Data API)`, settings.network);
  check(Number.isInteger(api.memoryMb) && api.memoryMb >= 128 && api.memoryMb <= 10240, "api.memoryMb", "must be 128–10240 MB", api.memoryMb);
  check(Number.isInteger(api.timeoutSeconds) && api.timeoutSeconds >= 1 && api.timeoutSeconds <= 900, "api.timeoutSeconds", "must be 1–900 s", api.timeoutSeconds);
  check(Number.isInteger(api.ephemeralStorageMb) && api.ephemeralStorageMb >= 512 && api.ephemeralStorageMb <= 10240, "api.ephemeralStorageMb", "must be 512–10240 MB", api.ephemeralStorageMb);
  checkEndpoint(endpoint);
  const { jobs } = settings;
  // The API's SEMLA_JOBS_RETENTION_SECONDS allows up to 30 days; SageMaker allows 1–1000 concurrent invocations per instance.
  check(isWhole(jobs.retentionDays) && jobs.retentionDays >= 1 && jobs.retentionDays <= 30, "jobs.retentionDays", "must be a whole number of days from 1 to 30", jobs.retentionDays);
  check(
    isWhole(jobs.maxConcurrentInvocationsPerInstance) && jobs.maxConcurrentInvocationsPerInstance >= 1 && jobs.maxConcurrentInvocationsPerInstance <= 1000,
    "jobs.maxConcurrentInvocationsPerInstance",
    "must be a whole number from 1 to 1000",
    jobs.maxConcurrentInvocationsPerInstance,
  );
  check(isWhole(jobs.maxInstances) && jobs.maxInstances >= 1, "jobs.maxInstances", "must be a whole number ≥ 1", jobs.maxInstances);
  check(Number.isInteger(storage.fusedExpiryDays) && storage.fusedExpiryDays >= 1, "storage.fusedExpiryDays", "must be a whole number of days ≥ 1", storage.fusedExpiryDays);
  check(Number.isInteger(storage.uploadsExpiryDays) && storage.uploadsExpiryDays >= 1, "storage.uploadsExpiryDays", "must be a whole number of days ≥ 1", storage.uploadsExpiryDays);
  for (const [name, schedule] of [
    ["sweepSchedule", settings.sweepSchedule],
    ["jobs.runnerSchedule", jobs.runnerSchedule],
  ] as const) {
    check(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/.test(schedule), name, 'must be an EventBridge schedule, e.g. "rate(1 hour)" or "cron(0 3 * * ? *)"', schedule);
  }
  return settings;
}

/**
 * Deploy-time choices, from the deploying shell's environment (DEPLOY_VARIABLES names them):
 * `database` "rds" swaps Aurora for a provisioned instance (cheaper at steady load, no resume
 * latency after idling); `network` "vpc" or "data-api" overrides the stage's network mode (RDS
 * without one means "vpc"); the endpoint's copy counts and idle time override the stage's.
 */
export interface DeployOptions {
  readonly database?: string | undefined;
  readonly network?: string | undefined;
  readonly minCopies?: string | undefined;
  readonly maxCopies?: string | undefined;
  readonly scaleToZeroAfterMinutes?: string | undefined;
}

/** The environment variables `sst deploy` (sst.config.ts) and `semla cost` read, by option. */
export const DEPLOY_VARIABLES = {
  database: "SEMLA_DATABASE",
  network: "SEMLA_NETWORK",
  minCopies: "SEMLA_ENDPOINT_MIN_COPIES",
  maxCopies: "SEMLA_ENDPOINT_MAX_COPIES",
  scaleToZeroAfterMinutes: "SEMLA_ENDPOINT_IDLE_MINUTES",
} as const satisfies Record<keyof DeployOptions, string>;

export function deployOptions(env: Readonly<Record<string, string | undefined>>): DeployOptions {
  return Object.fromEntries(Object.entries(DEPLOY_VARIABLES).map(([option, variable]) => [option, env[variable]]));
}

function wholeNumber(option: keyof DeployOptions, value: string): number {
  if (!/^\d+$/.test(value)) throw new StageSettingsError(`${DEPLOY_VARIABLES[option]} = ${JSON.stringify(value)}: must be a whole number`);
  return Number(value);
}

const given = (value: string | undefined): value is string => value !== undefined && value !== "";

/** The settings of a stage, with the deploy-time options applied, validated. */
export function stageSettings(stage: string, options: DeployOptions = {}): StageSettings {
  const base = stage === "production" ? production : dev;
  let database = base.database;
  if (given(options.database) && options.database !== "aurora") {
    if (options.database !== "rds") {
      throw new StageSettingsError(`${DEPLOY_VARIABLES.database} = ${JSON.stringify(options.database)}: must be "aurora" or "rds"`);
    }
    database = stage === "production" ? { kind: "rds", instance: "m7g.large", storageGb: 50 } : { kind: "rds", instance: "t4g.micro", storageGb: 20 };
  }
  let network = base.network;
  if (given(options.network)) {
    if (!(NETWORK_MODES as readonly string[]).includes(options.network)) {
      throw new StageSettingsError(`${DEPLOY_VARIABLES.network} = ${JSON.stringify(options.network)}: must be ${NETWORK_MODES.map((mode) => JSON.stringify(mode)).join(" or ")}`);
    }
    network = options.network as NetworkMode;
  } else if (database.kind === "rds") {
    // RDS has no Data API: a stage on RDS keeps its functions in the VPC unless told otherwise.
    network = "vpc";
  }
  let endpoint: StageSettings["endpoint"] = { ...base.endpoint };
  if (given(options.minCopies)) {
    const minCopies = wholeNumber("minCopies", options.minCopies);
    // Scaling to zero needs an idle time: the stage's, or dev's when the stage never scales to zero.
    const { scaleToZeroAfterMinutes: _, ...rest } = endpoint;
    endpoint = minCopies === 0 ? { ...rest, minCopies, scaleToZeroAfterMinutes: base.endpoint.scaleToZeroAfterMinutes ?? dev.endpoint.scaleToZeroAfterMinutes } : { ...rest, minCopies };
  }
  if (given(options.maxCopies)) endpoint = { ...endpoint, maxCopies: wholeNumber("maxCopies", options.maxCopies) };
  if (given(options.scaleToZeroAfterMinutes)) endpoint = { ...endpoint, scaleToZeroAfterMinutes: wholeNumber("scaleToZeroAfterMinutes", options.scaleToZeroAfterMinutes) };
  return validateSettings({ ...base, network, database, endpoint });
}

/**
 * What a stage costs, computed from its settings (infra/settings.ts) and the dated list prices
 * (infra/prices.ts): at rest per month, per 1,000 segment requests served warm, and what a start
 * from zero costs in time and money. Pure functions; `semla cost` prints them and the README's
 * cost section is generated from them (infra/costs.test.ts keeps the two equal).
 */
import { HOURS_PER_MONTH, PRICES, PRICES_AS_OF, SAGEMAKER_INSTANCES } from "./prices.js";
import { type StageSettings, vpcLayout } from "./settings.js";

/** What the model assumes beyond the settings: the traffic's shape and what the stack stores. */
export const ASSUMPTIONS = {
  /** CLIP ViT-B/16 embedding in the API at 2048 MB (1.16 vCPU), measured; it scales with the vCPUs, i.e. the memory. */
  embedSecondsAt2048Mb: 0.25,
  /** The endpoint's round trip (adapter delivery + segmentation) by GPU, estimated. */
  roundTripSeconds: { "ml.g4dn.xlarge": 0.25, "ml.g5.xlarge": 0.2 } as Readonly<Record<string, number>>,
  imageMb: 0.5,
  logKbPerRequest: 1,
  /** Aurora I/O operations per request (the centroids stay in its buffer cache). */
  databaseIosPerRequest: 2,
  /**
   * Data API calls per request in "data-api" mode (the key's lookup, the routing query, the
   * adapters' rows), each one billed request; an estimate, not measured on this stack.
   */
  dataApiCallsPerRequest: 3,
  /** Adapters, CLIP and endpoint models in the bucket. */
  bucketGb: 3,
  databaseGb: 1,
  /** The endpoint's container image (CUDA libraries included) in ECR. */
  endpointImageGb: 5,
  /**
   * From a request that finds no copy to the copy answering: the alarm's minute, Application Auto
   * Scaling, an instance launched, the image pulled, the models downloaded and loaded. An estimate
   * (SageMaker says "several minutes"), not measured on this stack.
   */
  coldStartMinutes: 5,
  /** A resumed Aurora Serverless v2 cluster runs at 0.5 ACU or more until it pauses again. */
  resumedAcu: 0.5,
  /** A scheduled jobs round with no active job: a warm function listing jobs/active/ (one LIST), an estimate. */
  jobsIdleRoundSeconds: 0.1,
  /**
   * Per job image, besides the API's own work (the CLIP embedding): the bucket requests (PUT the
   * image's copy, the invocation's input, SageMaker's answer and the mask; GET the image, the input,
   * the answer, and a HEAD per collection round) and the runner's extra seconds (submit and collect).
   */
  jobImagePuts: 4,
  jobImageGets: 4,
  jobRunnerSecondsPerImage: 0.1,
  /** The jobs endpoint's scale-in cooldown (infra/jobs.ts): an instance started for a backlog stays this long after it empties. */
  jobsScaleInMinutes: 10,
} as const;

export interface CostLine {
  /** What is billed, the same for every stage (a row of the README's tables). */
  readonly key: string;
  /** This stage's quantities. */
  readonly detail?: string;
  readonly dollars: number;
}

export const itemOf = (line: CostLine) => (line.detail ? `${line.key} (${line.detail})` : line.key);

export interface ColdStart {
  /** How long the first request after idling waits for capacity (the API answers 503 meanwhile). */
  readonly minutesToCapacity: number;
  /** Instance time one wake-up bills at least: the start and the idle time before scaling back to zero. */
  readonly billedMinutes: number;
  readonly dollars: number;
}

export interface StageCosts {
  readonly atRest: { readonly lines: readonly CostLine[]; readonly total: number };
  readonly perThousand: { readonly lines: readonly CostLine[]; readonly total: number };
  /** Absent when the stage keeps copies warm (it never starts from zero). */
  readonly coldStart?: ColdStart;
  /** Asynchronous jobs (POST /v1/jobs): per 1,000 images, and the jobs endpoint's start from zero (it always scales to zero). */
  readonly jobs: { readonly perThousand: { readonly lines: readonly CostLine[]; readonly total: number }; readonly coldStart: ColdStart };
}

const sum = (lines: readonly CostLine[]) => lines.reduce((total, line) => total + line.dollars, 0);

function instance(settings: StageSettings) {
  const found = SAGEMAKER_INSTANCES[settings.endpoint.instanceType];
  if (!found) throw new Error(`no price for ${settings.endpoint.instanceType} in infra/prices.ts`);
  return found;
}

/** Runs per month of an EventBridge schedule; a cron expression is costed as daily. */
export function runsPerMonth(schedule: StageSettings["sweepSchedule"]): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!rate) return HOURS_PER_MONTH / 24;
  const minutes = Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as "minute" | "hour" | "day"];
  return (HOURS_PER_MONTH * 60) / minutes;
}

function databaseAtRest(settings: StageSettings): CostLine[] {
  const db = settings.database;
  if (db.kind === "rds") {
    const hourly = PRICES.rds.instanceHourly[db.instance];
    if (hourly === undefined) throw new Error(`no price for db.${db.instance} in infra/prices.ts`);
    return [
      { key: "RDS instance", detail: `db.${db.instance}, always on`, dollars: hourly * HOURS_PER_MONTH },
      { key: "RDS storage", detail: `${db.storageGb} GB gp3`, dollars: db.storageGb * PRICES.rds.gp3GbMonth },
    ];
  }
  const storage = { key: "Aurora storage", detail: `${ASSUMPTIONS.databaseGb} GB`, dollars: ASSUMPTIONS.databaseGb * PRICES.aurora.storageGbMonth };
  if (db.minAcu > 0) return [{ key: "Aurora capacity", detail: `${db.minAcu} ACU minimum`, dollars: db.minAcu * PRICES.aurora.acuHour * HOURS_PER_MONTH }, storage];
  // Paused at 0 ACU; each sweep resumes it until it pauses again, or keeps it awake if it runs more often.
  const pause = db.pauseAfterMinutes ?? 0;
  const runs = runsPerMonth(settings.sweepSchedule);
  const awakeHours = Math.min(HOURS_PER_MONTH, (runs * (pause + 1)) / 60);
  return [
    { key: "Aurora capacity", detail: "0 ACU: paused", dollars: 0 },
    { key: "Aurora woken by the sweep", detail: `${Math.round(runs)} runs × ${pause + 1} min at ${ASSUMPTIONS.resumedAcu} ACU`, dollars: awakeHours * ASSUMPTIONS.resumedAcu * PRICES.aurora.acuHour },
    storage,
  ];
}

/** CloudWatch alarms the endpoint's scaling keeps: target tracking's two, the idle alarm's two metrics, the wake alarm's one. */
function alarmMetrics(settings: StageSettings): number {
  const { minCopies, maxCopies } = settings.endpoint;
  if (minCopies === maxCopies) return 0;
  return (maxCopies > 1 ? 2 : 0) + (minCopies === 0 ? 3 : 0);
}

function atRest(settings: StageSettings): CostLine[] {
  const { minCopies, instanceType } = settings.endpoint;
  const layout = vpcLayout(settings.network);
  const azHours = layout.availabilityZones * HOURS_PER_MONTH;
  const alarms = alarmMetrics(settings);
  return [
    {
      key: "SageMaker endpoint, copies kept warm",
      detail: `${minCopies} × ${instanceType}`,
      dollars: minCopies * instance(settings).hourly * HOURS_PER_MONTH,
    },
    ...databaseAtRest(settings),
    ...layout.interfaceEndpoints.map((service) => ({
      key: `VPC interface endpoint ${service}`,
      detail: `${layout.availabilityZones} AZs`,
      dollars: azHours * PRICES.vpc.interfaceEndpointAzHour,
    })),
    { key: "NAT gateways, S3 gateway endpoint", detail: `${layout.natGateways} NAT`, dollars: 0 },
    { key: "CloudWatch alarms of the endpoint's scaling", detail: `${alarms} alarm metric${alarms === 1 ? "" : "s"}`, dollars: alarms * PRICES.cloudwatch.alarmMetricMonth },
    { key: "S3", detail: `${ASSUMPTIONS.bucketGb} GB`, dollars: ASSUMPTIONS.bucketGb * PRICES.s3.standardGbMonth },
    { key: "ECR", detail: `the ${ASSUMPTIONS.endpointImageGb} GB endpoint image`, dollars: ASSUMPTIONS.endpointImageGb * PRICES.ecr.gbMonth },
    { key: "Secrets Manager", detail: "the database's secret", dollars: PRICES.secretsManager.secretMonth },
    { key: "SageMaker jobs endpoint", detail: `0 instances until jobs queue, up to ${settings.jobs.maxInstances}`, dollars: 0 },
    // Target tracking's two alarms on the backlog, and HasBacklogWithoutCapacity's one.
    { key: "CloudWatch alarms of the jobs endpoint's scaling", detail: "3 alarm metrics", dollars: 3 * PRICES.cloudwatch.alarmMetricMonth },
    jobsRunnerAtRest(settings),
    { key: "Lambda, function URL", detail: "nothing without requests", dollars: 0 },
  ];
}

/** Lambda's price of `seconds` of a function sized as the API (memory and /tmp), and `requests` invocations. */
function lambdaDollars(settings: StageSettings, seconds: number, requests: number): number {
  const memoryGb = settings.api.memoryMb / 1024;
  const extraTmpGb = Math.max(0, settings.api.ephemeralStorageMb - 512) / 1024;
  return seconds * (memoryGb * PRICES.lambda.gbSecond + extraTmpGb * PRICES.lambda.ephemeralGbSecond) + (requests / 1_000_000) * PRICES.lambda.perMillionRequests;
}

/** The jobs runner's scheduled rounds with no job: each a short invocation and one bucket LIST (billed as a PUT); the database is not touched. */
function jobsRunnerAtRest(settings: StageSettings): CostLine {
  const runs = runsPerMonth(settings.jobs.runnerSchedule);
  return {
    key: "Jobs runner, idle rounds",
    detail: `${Math.round(runs).toLocaleString("en-US")} runs × ${ASSUMPTIONS.jobsIdleRoundSeconds} s + a LIST`,
    dollars: lambdaDollars(settings, runs * ASSUMPTIONS.jobsIdleRoundSeconds, runs) + (runs / 1000) * PRICES.s3.perThousandPut,
  };
}

/** The API's seconds per request: the CLIP embedding (faster with more memory, i.e. vCPUs) and the endpoint's round trip. */
export function apiSecondsPerRequest(settings: StageSettings): number {
  const roundTrip = ASSUMPTIONS.roundTripSeconds[settings.endpoint.instanceType] ?? 0.25;
  return ASSUMPTIONS.embedSecondsAt2048Mb * (2048 / settings.api.memoryMb) + roundTrip;
}

function perThousand(settings: StageSettings): CostLine[] {
  const n = 1000;
  const seconds = apiSecondsPerRequest(settings);
  const lambda = lambdaDollars(settings, n * seconds, n);
  const perCopyHour = settings.endpoint.invocationsPerCopyPerMinute * 60;
  const database = settings.database.kind === "aurora" ? (n * ASSUMPTIONS.databaseIosPerRequest * PRICES.aurora.perMillionIo) / 1_000_000 : 0;
  const logs = ((n * ASSUMPTIONS.logKbPerRequest) / 1024 / 1024) * PRICES.cloudwatch.logsGbIngested;
  return [
    { key: "API Lambda", detail: `${settings.api.memoryMb} MB × ${seconds.toFixed(2)} s, + requests`, dollars: lambda },
    {
      key: "SageMaker instance time at the load target",
      detail: `${perCopyHour.toLocaleString("en-US")} requests per copy-hour`,
      dollars: (n / perCopyHour) * instance(settings).hourly,
    },
    // In the VPC the images go through the interface endpoint; outside it the Data API bills each call.
    settings.network === "vpc"
      ? {
          key: "SageMaker Runtime interface endpoint",
          detail: `${(n * ASSUMPTIONS.imageMb) / 1000} GB of images`,
          dollars: ((n * ASSUMPTIONS.imageMb) / 1000) * PRICES.vpc.interfaceEndpointGb,
        }
      : {
          key: "Aurora Data API",
          detail: `${ASSUMPTIONS.dataApiCallsPerRequest} calls per request`,
          dollars: (n * ASSUMPTIONS.dataApiCallsPerRequest * PRICES.aurora.dataApiPerMillionRequests) / 1_000_000,
        },
    { key: "Database I/O, S3 GETs (adapters cached by sha256), logs", dollars: database + logs },
  ];
}

/** Per 1,000 job images: the runner (embedding, submission, collection), the jobs endpoint's instance time, the bucket's requests. */
function jobsPerThousand(settings: StageSettings): CostLine[] {
  const n = 1000;
  const seconds = ASSUMPTIONS.embedSecondsAt2048Mb * (2048 / settings.api.memoryMb) + ASSUMPTIONS.jobRunnerSecondsPerImage;
  const roundTrip = ASSUMPTIONS.roundTripSeconds[settings.endpoint.instanceType] ?? 0.25;
  const perInstanceHour = 3600 / roundTrip;
  return [
    { key: "Jobs runner Lambda", detail: `${settings.api.memoryMb} MB × ${seconds.toFixed(2)} s per image`, dollars: lambdaDollars(settings, n * seconds, 0) },
    {
      key: "SageMaker jobs endpoint instance time",
      detail: `${perInstanceHour.toLocaleString("en-US")} images per instance-hour`,
      dollars: (n / perInstanceHour) * instance(settings).hourly,
    },
    {
      key: "S3 requests of the jobs",
      detail: `${ASSUMPTIONS.jobImagePuts} PUT + ${ASSUMPTIONS.jobImageGets} GET per image`,
      dollars: (n * ASSUMPTIONS.jobImagePuts * PRICES.s3.perThousandPut + n * ASSUMPTIONS.jobImageGets * PRICES.s3.perThousandGet) / 1000,
    },
  ];
}

/** The jobs endpoint scales to zero in every stage: a batch waits for an instance, which stays the scale-in cooldown after the queue empties. */
function jobsColdStart(settings: StageSettings): ColdStart {
  const billedMinutes = ASSUMPTIONS.coldStartMinutes + ASSUMPTIONS.jobsScaleInMinutes;
  return { minutesToCapacity: ASSUMPTIONS.coldStartMinutes, billedMinutes, dollars: (billedMinutes / 60) * instance(settings).hourly };
}

function coldStart(settings: StageSettings): ColdStart | undefined {
  const { minCopies, scaleToZeroAfterMinutes } = settings.endpoint;
  if (minCopies > 0 || scaleToZeroAfterMinutes === undefined) return undefined;
  const billedMinutes = ASSUMPTIONS.coldStartMinutes + scaleToZeroAfterMinutes;
  return { minutesToCapacity: ASSUMPTIONS.coldStartMinutes, billedMinutes, dollars: (billedMinutes / 60) * instance(settings).hourly };
}

export function stageCosts(settings: StageSettings): StageCosts {
  const rest = atRest(settings);
  const warm = perThousand(settings);
  const start = coldStart(settings);
  const jobs = jobsPerThousand(settings);
  return {
    atRest: { lines: rest, total: sum(rest) },
    perThousand: { lines: warm, total: sum(warm) },
    ...(start ? { coldStart: start } : {}),
    jobs: { perThousand: { lines: jobs, total: sum(jobs) }, coldStart: jobsColdStart(settings) },
  };
}

export interface MonthlyEstimate {
  readonly requests: number;
  /** At rest plus the requests served warm: traffic in one burst, a single wake-up. */
  readonly low: number;
  /** Every request a wake-up of its own (spread out beyond the idle time), as many as a month holds. */
  readonly high: number;
  readonly wakeUps: { readonly low: number; readonly high: number };
}

/** A month with `requests` segment requests: between one burst and requests spread so each wakes the GPU. */
export function monthlyEstimate(settings: StageSettings, requests: number): MonthlyEstimate {
  const costs = stageCosts(settings);
  const warm = costs.atRest.total + (requests / 1000) * costs.perThousand.total;
  const start = costs.coldStart;
  if (!start || requests === 0) return { requests, low: warm, high: warm, wakeUps: { low: 0, high: 0 } };
  const high = Math.min(requests, Math.floor((HOURS_PER_MONTH * 60) / start.billedMinutes));
  return { requests, low: warm + start.dollars, high: warm + high * start.dollars, wakeUps: { low: 1, high } };
}

/** Dollars as the tables print them: cents from $1 up, thousandths below, "< $0.001" for crumbs. */
export function dollars(value: number): string {
  if (value === 0) return "$0";
  if (value < 0.001) return "< $0.001";
  if (value < 1) return `$${value.toFixed(3)}`;
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function coldStartText(start: ColdStart | undefined, settings: StageSettings): string {
  if (!start) return `none: ${settings.endpoint.minCopies} cop${settings.endpoint.minCopies === 1 ? "y" : "ies"} kept warm`;
  return `≈ ${start.minutesToCapacity} min to capacity (the API answers 503 backend.scaling-from-zero meanwhile); each wake-up bills ≥ ${start.billedMinutes} instance-minutes (start + ${settings.endpoint.scaleToZeroAfterMinutes} idle) = ${dollars(start.dollars)}`;
}

/** `semla cost`'s report: the three numbers itemised, and a month at the given traffic. */
export function formatStageCosts(stage: string, settings: StageSettings, requestsPerMonth?: number): string {
  const costs = stageCosts(settings);
  const width = Math.max(...[...costs.atRest.lines, ...costs.perThousand.lines, ...costs.jobs.perThousand.lines].map((line) => itemOf(line).length));
  const row = (line: CostLine) => `  ${itemOf(line).padEnd(width)}  ${dollars(line.dollars)}`;
  const out = [
    `stage ${stage}: list prices ${PRICES_AS_OF.region}, read ${PRICES_AS_OF.read} (infra/prices.ts); a month is ${HOURS_PER_MONTH} hours`,
    "",
    "at rest, per month:",
    ...costs.atRest.lines.map(row),
    `  ${"total".padEnd(width)}  ${dollars(costs.atRest.total)}`,
    "",
    "per 1,000 segment requests, warm:",
    ...costs.perThousand.lines.map(row),
    `  ${"total".padEnd(width)}  ${dollars(costs.perThousand.total)}`,
    "",
    `cold start: ${coldStartText(costs.coldStart, settings)}`,
    "",
    "per 1,000 job images (POST /v1/jobs):",
    ...costs.jobs.perThousand.lines.map(row),
    `  ${"total".padEnd(width)}  ${dollars(costs.jobs.perThousand.total)}`,
    `jobs endpoint start: ≈ ${costs.jobs.coldStart.minutesToCapacity} min to capacity (jobs wait in its queue); each bills ≥ ${costs.jobs.coldStart.billedMinutes} instance-minutes (start + ${ASSUMPTIONS.jobsScaleInMinutes} after the queue empties) = ${dollars(costs.jobs.coldStart.dollars)}`,
  ];
  if (requestsPerMonth !== undefined) {
    const month = monthlyEstimate(settings, requestsPerMonth);
    const range =
      month.low === month.high ? dollars(month.low) : `${dollars(month.low)} (one burst, 1 wake-up) to ${dollars(month.high)} (spread out, ${month.wakeUps.high.toLocaleString("en-US")} wake-ups)`;
    out.push("", `${requestsPerMonth.toLocaleString("en-US")} requests a month: ${range}`);
  }
  return `${out.join("\n")}\n`;
}

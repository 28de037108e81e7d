/**
 * Per-stage settings of the deployable stack: plain data, validated before any resource is
 * declared, so a bad value fails `sst deploy` with a message instead of half-creating a stack.
 * `production` gets the production settings; every other stage (dev, personal stages, pull
 * requests) gets the smallest ones, which scale to zero where AWS allows it.
 */

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

export interface StageSettings {
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
  readonly endpoint: {
    readonly instanceType: string;
    readonly minInstances: number;
    readonly maxInstances: number;
    /** Target of the autoscaling policy (SageMakerVariantInvocationsPerInstance, per minute). */
    readonly invocationsPerInstancePerMinute: number;
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

/** Aurora PostgreSQL 16.3+ supports 0 ACU (auto-pause); pgvector 0.8 ships with it. */
export const AURORA_POSTGRES_VERSION = "16.6";
export const RDS_POSTGRES_VERSION = "16.6";

const dev: StageSettings = {
  database: { kind: "aurora", minAcu: 0, maxAcu: 2, pauseAfterMinutes: 10 },
  // 2048 MB is 1.16 vCPU: ViT-B/16 embeds in ~250 ms with one intra-op thread.
  api: { memoryMb: 2048, timeoutSeconds: 60, ephemeralStorageMb: 2048 },
  endpoint: { instanceType: "ml.g4dn.xlarge", minInstances: 1, maxInstances: 1, invocationsPerInstancePerMinute: 600 },
  storage: { fusedExpiryDays: 7, uploadsExpiryDays: 1 },
  // Daily: a paused dev cluster is woken once a day, not every few minutes.
  sweepSchedule: "rate(1 day)",
  logRetention: "1 week",
};

const production: StageSettings = {
  // Kept warm: a paused cluster takes ~15 s to resume on the first request.
  database: { kind: "aurora", minAcu: 0.5, maxAcu: 8 },
  // 3584 MB is two full vCPUs: ViT-B/16 embeds in ~150 ms with two intra-op threads.
  api: { memoryMb: 3584, timeoutSeconds: 60, ephemeralStorageMb: 2048 },
  endpoint: { instanceType: "ml.g5.xlarge", minInstances: 1, maxInstances: 4, invocationsPerInstancePerMinute: 600 },
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

/** Every limit here is AWS's own (Lambda, Aurora Serverless v2, SageMaker real-time endpoints). */
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
  check(Number.isInteger(api.memoryMb) && api.memoryMb >= 128 && api.memoryMb <= 10240, "api.memoryMb", "must be 128–10240 MB", api.memoryMb);
  check(Number.isInteger(api.timeoutSeconds) && api.timeoutSeconds >= 1 && api.timeoutSeconds <= 900, "api.timeoutSeconds", "must be 1–900 s", api.timeoutSeconds);
  check(Number.isInteger(api.ephemeralStorageMb) && api.ephemeralStorageMb >= 512 && api.ephemeralStorageMb <= 10240, "api.ephemeralStorageMb", "must be 512–10240 MB", api.ephemeralStorageMb);
  check(/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(endpoint.instanceType), "endpoint.instanceType", 'must be a SageMaker instance type, e.g. "ml.g5.xlarge"', endpoint.instanceType);
  // A real-time endpoint without inference components keeps at least one instance.
  check(
    Number.isInteger(endpoint.minInstances) && endpoint.minInstances >= 1,
    "endpoint.minInstances",
    "must be a whole number ≥ 1 (a real-time endpoint cannot scale to 0 instances)",
    endpoint.minInstances,
  );
  check(
    Number.isInteger(endpoint.maxInstances) && endpoint.maxInstances >= endpoint.minInstances,
    "endpoint.maxInstances",
    `must be a whole number ≥ endpoint.minInstances (${endpoint.minInstances})`,
    endpoint.maxInstances,
  );
  check(endpoint.invocationsPerInstancePerMinute > 0, "endpoint.invocationsPerInstancePerMinute", "must be positive", endpoint.invocationsPerInstancePerMinute);
  check(Number.isInteger(storage.fusedExpiryDays) && storage.fusedExpiryDays >= 1, "storage.fusedExpiryDays", "must be a whole number of days ≥ 1", storage.fusedExpiryDays);
  check(Number.isInteger(storage.uploadsExpiryDays) && storage.uploadsExpiryDays >= 1, "storage.uploadsExpiryDays", "must be a whole number of days ≥ 1", storage.uploadsExpiryDays);
  check(
    /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/.test(settings.sweepSchedule),
    "sweepSchedule",
    'must be an EventBridge schedule, e.g. "rate(1 hour)" or "cron(0 3 * * ? *)"',
    settings.sweepSchedule,
  );
  return settings;
}

/**
 * The settings of a stage. `database` "rds" (from SEMLA_DATABASE=rds at deploy time) swaps
 * Aurora for a provisioned instance: cheaper at steady load, no resume latency after idling.
 */
export function stageSettings(stage: string, options: { readonly database?: string } = {}): StageSettings {
  const base = stage === "production" ? production : dev;
  if (options.database === undefined || options.database === "" || options.database === "aurora") return validateSettings(base);
  if (options.database !== "rds") {
    throw new StageSettingsError(`SEMLA_DATABASE = ${JSON.stringify(options.database)}: must be "aurora" or "rds"`);
  }
  const database: DatabaseSettings = stage === "production" ? { kind: "rds", instance: "m7g.large", storageGb: 50 } : { kind: "rds", instance: "t4g.micro", storageGb: 20 };
  return validateSettings({ ...base, database });
}

import type { StageSettings } from "./settings";

/** Object key prefixes of the one bucket (the README's Deploy section); IAM scopes are built from these. */
export const PREFIXES = {
  adapters: "adapters/",
  fused: "fused/",
  /** Bank manifests, banks/<library>/<generation>.json: written by the API on a generation's first use, read by the endpoint. */
  banks: "banks/",
  uploads: "uploads/",
  /** CLIP vision model files the API downloads to /tmp on a cold start. */
  clipVision: "models/clip-vision/",
  /** The endpoint's model artifacts (models.json + ONNX files), mounted at /opt/ml/model. */
  endpointModel: "models/endpoint/",
  /** Asynchronous jobs: each job's images, invocation inputs and masks under jobs/<id>/, SageMaker's answers under output/ and failures/. */
  jobs: "jobs/",
  jobsOutput: "jobs/output/",
  jobsFailures: "jobs/failures/",
  /** Tenants' image folders a job may name (tenants/<tenant>/images/…): read by the API, written by the operator. */
  tenants: "tenants/",
} as const;

/**
 * The bucket of adapters, the fused-adapter cache, uploads and models. Private (SST's default),
 * HTTPS only. The cache and uploads expire: both are rebuilt or re-sent on demand, and an upload
 * that ingestion never consumed would otherwise be kept (and billed) forever.
 */
export function createStorage(settings: StageSettings) {
  const bucket = new sst.aws.Bucket("Bucket", {
    enforceHttps: true,
    lifecycle: [
      { id: "expire-fused", prefix: PREFIXES.fused, expiresIn: `${settings.storage.fusedExpiryDays} days` },
      { id: "expire-uploads", prefix: PREFIXES.uploads, expiresIn: `${settings.storage.uploadsExpiryDays} days` },
      // The API removes an expired job's objects; this catches what a crash or a late answer left.
      { id: "expire-jobs", prefix: PREFIXES.jobs, expiresIn: `${settings.jobs.retentionDays + 1} days` },
    ],
  });
  return { bucket };
}

export type Storage = ReturnType<typeof createStorage>;

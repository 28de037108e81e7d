import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describeIssues } from "@semla/core";
import { type BlobStore, createFsBlobStore, createS3BlobStore } from "@semla/storage";
import { ConfigError, type ServiceConfig, StoreSettingsSchema } from "./config.js";

/*
 * The object store, opened from the configuration: S3 when SEMLA_BUCKET is set (SEMLA_S3_ENDPOINT for
 * an S3-compatible server), else a folder. The API and the endpoint read the same store under the same
 * variables; this module imports only @semla/storage (the endpoint image and the sweep carry no more).
 */

/** Where the store is: what the configuration names, before anything is opened. */
export type StoreSpec =
  | { readonly kind: "s3"; readonly bucket: string; readonly region?: string; readonly endpoint?: string }
  | { readonly kind: "fs"; readonly root: string; readonly presign?: { readonly baseUrl: string; readonly secret: string } }
  | { readonly kind: "none" };

export function openStore(spec: StoreSpec): BlobStore | undefined {
  switch (spec.kind) {
    case "s3":
      // The store makes its client, with bounded connect and request times (a store that is down never hangs a request).
      return createS3BlobStore({
        bucket: spec.bucket,
        ...(spec.region ? { region: spec.region } : {}),
        // A custom endpoint is an S3-compatible server (MinIO, s3rver): those want path-style URLs.
        ...(spec.endpoint ? { endpoint: spec.endpoint, forcePathStyle: true } : {}),
      });
    case "fs":
      return createFsBlobStore({ root: spec.root, ...(spec.presign ? { presign: spec.presign } : {}) });
    case "none":
      return undefined;
  }
}

export function describeStore(spec: StoreSpec): string {
  switch (spec.kind) {
    case "s3":
      return `s3://${spec.bucket}${spec.endpoint ? ` at ${spec.endpoint}` : ""}`;
    case "fs":
      return spec.root;
    case "none":
      return "none (only inline adapters can be served)";
  }
}

/** The embedded store's presign key, kept with its data so URLs outlive a restart. */
async function presignSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "presign.secret");
  const existing = await readFile(file, "utf8").catch(() => undefined);
  if (existing && existing.trim().length >= 32) return existing.trim();
  const secret = randomBytes(32).toString("hex");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The service's store: the bucket, or the filesystem store under SEMLA_DATA_DIR/blobs whose presigned
 * URLs point at publicUrl (signed with a key kept in the data folder).
 */
export async function openServiceStore(config: ServiceConfig, publicUrl: string): Promise<{ store: BlobStore; presignSecret?: string }> {
  if (config.SEMLA_BUCKET) {
    const endpoint = config.SEMLA_S3_ENDPOINT;
    return { store: openStore({ kind: "s3", bucket: config.SEMLA_BUCKET, region: config.AWS_REGION, ...(endpoint ? { endpoint } : {}) }) as BlobStore };
  }
  const dataDir = path.resolve(config.SEMLA_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const secret = await presignSecret(dataDir);
  return { store: openStore({ kind: "fs", root: path.join(dataDir, "blobs"), presign: { baseUrl: publicUrl, secret } }) as BlobStore, presignSecret: secret };
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim());

/**
 * The endpoint's store, from the same variables as the API's: SEMLA_BUCKET (+ SEMLA_S3_ENDPOINT,
 * AWS_REGION) or SEMLA_DATA_DIR (its blobs folder, as the embedded API writes it); neither: none
 * (inline adapters only). Deprecated aliases, still read so deployments keep working:
 * SEMLA_ADAPTER_BUCKET, SEMLA_ADAPTER_S3_ENDPOINT, SEMLA_ADAPTER_S3_REGION, and SEMLA_ADAPTER_ROOT (a
 * blobs folder itself).
 */
export function adapterStoreSpecOf(env: Env): StoreSpec {
  const parsed = StoreSettingsSchema.safeParse({
    SEMLA_BUCKET: set(env.SEMLA_BUCKET) ?? set(env.SEMLA_ADAPTER_BUCKET),
    SEMLA_S3_ENDPOINT: set(env.SEMLA_S3_ENDPOINT) ?? set(env.SEMLA_ADAPTER_S3_ENDPOINT),
  });
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  const { SEMLA_BUCKET: bucket, SEMLA_S3_ENDPOINT: endpoint } = parsed.data;
  const root = set(env.SEMLA_ADAPTER_ROOT) ?? (set(env.SEMLA_DATA_DIR) ? path.join(set(env.SEMLA_DATA_DIR) as string, "blobs") : undefined);
  if (bucket && root) throw new ConfigError("set SEMLA_BUCKET (or SEMLA_ADAPTER_BUCKET) or a folder (SEMLA_DATA_DIR, SEMLA_ADAPTER_ROOT), not both");
  if (bucket) {
    const region = set(env.SEMLA_ADAPTER_S3_REGION) ?? set(env.AWS_REGION);
    return { kind: "s3", bucket, ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) };
  }
  if (root) return { kind: "fs", root };
  return { kind: "none" };
}

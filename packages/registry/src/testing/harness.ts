// Test harness: a registry over real backends, isolated per test file.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { peft, randomAdapter } from "@semla/core";
import { type BlobStore, createFsBlobStore, createS3BlobStore } from "@semla/storage";
import type { AdapterIndex } from "../db/adapter-index.js";
import { createPgAdapterIndex } from "../db/pg-index.js";
import { createTestPgliteIndex } from "./pglite.js";
import { createScratchDatabase } from "./scratch-database.js";

export interface Backends {
  readonly index: AdapterIndex;
  readonly store: BlobStore;
  close(): Promise<void>;
}

/** PGlite + filesystem: the embedded default. */
export async function embeddedBackends(): Promise<Backends> {
  const root = await mkdtemp(join(tmpdir(), "semla-blobs-"));
  const index = await createTestPgliteIndex();
  return {
    index,
    store: createFsBlobStore({ root }),
    close: async () => {
      await index.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL + pgvector and S3 (s3rver), each in a database and a bucket of its own. */
export async function serverBackends(postgresUrl: string, s3Endpoint: string): Promise<Backends> {
  const database = await createScratchDatabase(postgresUrl);
  const index = await createPgAdapterIndex({ connectionString: database.url });
  const bucket = `semla-${randomBytes(5).toString("hex")}`;
  const client = new S3Client({ endpoint: s3Endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    index,
    store: createS3BlobStore({ client, bucket }),
    close: async () => {
      await index.close();
      await database.drop();
      client.destroy();
    },
  };
}

export const TEST_MODULES = [
  { name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.attn.q_proj", inFeatures: 16, outFeatures: 16 },
  { name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.mlp.c_fc", inFeatures: 16, outFeatures: 32 },
];

/** PEFT files of a small deterministic adapter. */
export function adapterFiles(seed: number, options: { baseModel?: string; modules?: typeof TEST_MODULES; rank?: number } = {}): peft.PeftFiles {
  return peft.writePeftAdapter(randomAdapter({ modules: options.modules ?? TEST_MODULES, rank: options.rank ?? 2, seed, baseModel: options.baseModel ?? "catseg-test" }));
}

/** A unit vector along axis `i` scaled by `length`, in `dimension` dimensions. */
export function axis(dimension: number, i: number, length = 1): Float32Array {
  const v = new Float32Array(dimension);
  v[i] = length;
  return v;
}

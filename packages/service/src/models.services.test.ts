import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { defaultModelDir, ensureGeneratedPack, MODEL_FILE_NAMES, MODEL_PACK_MANIFEST, type ModelPack } from "@semla/models";
import { type BlobStore, createS3BlobStore } from "@semla/storage";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ConfigError } from "./config.js";
import { locateModels } from "./models.js";

const log = () => {};
let tiny: ModelPack;

async function bucketStore(): Promise<BlobStore> {
  const bucket = `semla-models-${randomBytes(4).toString("hex")}`;
  const client = new S3Client({ endpoint: inject("s3Endpoint"), region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return createS3BlobStore({ client, bucket });
}

async function upload(store: BlobStore, prefix: string, files: readonly string[]): Promise<void> {
  for (const name of files) await store.put(`${prefix}${name}`, new Uint8Array(await readFile(path.join(tiny.dir, name))));
}

beforeAll(async () => {
  tiny = await ensureGeneratedPack(defaultModelDir("tiny"), "tiny");
});

describe("locating the models", () => {
  it("copies the models under the prefix from the bucket and checks them against their manifest", async () => {
    const store = await bucketStore();
    await upload(store, "models/clip-vision/", [MODEL_PACK_MANIFEST, ...Object.values(MODEL_FILE_NAMES)]);
    const files = await locateModels({ store, prefix: "models/clip-vision/", preset: undefined, log });
    expect(files.dir).not.toBe(tiny.dir);
    expect(files.manifest).toEqual(tiny.manifest);
    expect(await readFile(files.imageEncoder.path)).toEqual(await readFile(tiny.imageEncoder.path));
  });

  it("refuses a models folder missing a file its manifest names", async () => {
    const store = await bucketStore();
    await upload(store, "models/clip-vision/", [MODEL_PACK_MANIFEST, MODEL_FILE_NAMES.clipVision]);
    await expect(locateModels({ store, prefix: "models/clip-vision/", preset: undefined, log })).rejects.toThrow(/text-encoder\.onnx \(textEncoder\.file\) is missing/);
  });

  it("refuses a bucket without models unless a preset to generate is configured", async () => {
    const store = await bucketStore();
    const missing = locateModels({ store, prefix: "models/clip-vision/", preset: undefined, log });
    await expect(missing).rejects.toBeInstanceOf(ConfigError);
    await expect(locateModels({ store, prefix: "models/clip-vision/", preset: undefined, log })).rejects.toThrow(/no model pack under models\/clip-vision\/ in the bucket .*SEMLA_MODEL_PRESET/);
    const generated = await locateModels({ store, prefix: "models/clip-vision/", preset: "tiny", log });
    expect(generated.dir).toBe(tiny.dir);
  });
});

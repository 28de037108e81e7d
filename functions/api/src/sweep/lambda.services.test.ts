import { randomBytes } from "node:crypto";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { createPgAdapterIndex, type DrizzleAdapterIndex } from "@semla/registry";
import { createScratchDatabase, newAdapter, type ScratchDatabase } from "@semla/registry/testing";
import { createS3BlobStore } from "@semla/storage";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { handler } from "./lambda.js";

/** The scheduled sweep's function, on PostgreSQL and s3rver, configured as infra/sweep.ts configures it. */
describe("the sweep function", () => {
  let database: ScratchDatabase;
  let index: DrizzleAdapterIndex;
  let s3: S3Client;
  const bucket = `semla-sweep-${randomBytes(4).toString("hex")}`;
  const saved = { ...process.env };

  beforeAll(async () => {
    database = await createScratchDatabase(inject("postgresUrl"));
    index = await createPgAdapterIndex({ connectionString: database.url });
    s3 = new S3Client({ endpoint: inject("s3Endpoint"), region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    Object.assign(process.env, {
      SEMLA_DATABASE_URL: database.url,
      SEMLA_BUCKET: bucket,
      SEMLA_S3_ENDPOINT: inject("s3Endpoint"),
      SEMLA_MIGRATE: "false",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    });
  });
  afterAll(async () => {
    process.env = saved;
    await index?.close();
    await database?.drop();
    s3?.destroy();
  });

  it("removes a pending row abandoned an hour ago and an orphan object, and keeps what is in use", async () => {
    const library = await index.createLibrary({ tenant: "t", name: "l", baseModelId: "m", embeddingModelId: "e", dimension: 2, metric: "euclidean" });
    const pending = (name: string) => index.insertPending(newAdapter(library.id, name, [1, 0]));
    const abandoned = await pending("abandoned");
    const inFlight = await pending("in-flight");
    await index.db.execute(sql`UPDATE adapters SET updated_at = now() - interval '1 hour' WHERE id = ${abandoned.id}`);
    const store = createS3BlobStore({ client: s3, bucket });
    await store.put(abandoned.objectKey, new Uint8Array([1]));
    await store.put(inFlight.objectKey, new Uint8Array([2]));

    expect(await handler()).toEqual({ pendingRemoved: 1, orphansRemoved: 0 });
    expect((await index.stalePending(new Date(Date.now() + 3_600_000))).map((row) => row.name)).toEqual(["in-flight"]);
    expect(await store.head(abandoned.objectKey)).toBeUndefined();
    expect(await store.head(inFlight.objectKey)).toBeDefined();
  });
});

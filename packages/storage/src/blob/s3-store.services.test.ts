import { createHash, randomBytes, randomUUID } from "node:crypto";
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { describe, expect, inject, it } from "vitest";
import { blobStoreContract } from "../testing/blob-store-contract.js";
import { BlobNotFoundError } from "./blob-store.js";
import { createS3BlobStore, type S3BlobStoreOptions } from "./s3-store.js";

// s3rver from test/setup/s3.ts: any credentials are accepted.
const BUCKET = "semla-test";
const MiB = 1024 * 1024;

function testClient(): S3Client {
  return new S3Client({
    endpoint: inject("s3Endpoint"),
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
}

interface Call {
  readonly command: string;
  readonly input: object;
}

/** A real client that records every command and throws, before sending, where `fail` says so. */
function instrumentedClient(calls: Call[], fail?: (call: Call) => boolean): S3Client {
  const client = testClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = { command: context.commandName ?? "?", input: args.input };
      calls.push(call);
      if (fail?.(call)) throw new Error(`injected failure in ${call.command}`);
      return next(args);
    },
    { step: "initialize", name: "testInstrumentation" },
  );
  return client;
}

const count = (calls: Call[], command: string): number => calls.filter((call) => call.command === command).length;
const partNumber = (call: Call): unknown => ("PartNumber" in call.input ? call.input.PartNumber : undefined);
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

function store(client: S3Client, options: Partial<S3BlobStoreOptions> = {}) {
  // 5 MiB parts (S3's minimum) keep the multipart tests small.
  return createS3BlobStore({ client, bucket: BUCKET, partSize: 5 * MiB, multipartThreshold: 5 * MiB, ...options });
}

async function uploadsInProgress(client: S3Client, prefix: string): Promise<string[]> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Uploads ?? []).map((upload) => upload.Key ?? "?");
}

blobStoreContract("S3 on s3rver", () => store(testClient()));

describe("createS3BlobStore", () => {
  it("puts a body above the threshold in parts: 20 MiB as four 5 MiB parts, read back identical", async () => {
    const calls: Call[] = [];
    const blobs = store(instrumentedClient(calls));
    const key = `s3/${randomUUID()}/large.bin`;
    const body = new Uint8Array(randomBytes(20 * MiB));
    await blobs.put(key, body, { contentType: "application/octet-stream" });
    expect(count(calls, "CreateMultipartUploadCommand")).toBe(1);
    expect(
      calls
        .filter((call) => call.command === "UploadPartCommand")
        .map(partNumber)
        .sort(),
    ).toEqual([1, 2, 3, 4]);
    expect(count(calls, "CompleteMultipartUploadCommand")).toBe(1);
    expect(count(calls, "PutObjectCommand")).toBe(0);
    expect(sha256(await blobs.get(key))).toBe(sha256(body));
  });

  it("puts a body at the threshold with a single PutObject", async () => {
    const calls: Call[] = [];
    const blobs = store(instrumentedClient(calls));
    await blobs.put(`s3/${randomUUID()}/small.bin`, new Uint8Array(5 * MiB));
    expect(calls.map((call) => call.command)).toEqual(["PutObjectCommand"]);
  });

  it("the test server lists multipart uploads in progress (so 'none left' below means something)", async () => {
    const client = testClient();
    const prefix = `s3/${randomUUID()}/`;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${prefix}pending` }));
    expect(await uploadsInProgress(client, prefix)).toEqual([`${prefix}pending`]);
    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: `${prefix}pending`, UploadId }));
    expect(await uploadsInProgress(client, prefix)).toEqual([]);
  });

  it("aborts the upload when a part fails, leaving no parts and no object behind", async () => {
    const calls: Call[] = [];
    const blobs = store(instrumentedClient(calls, (call) => call.command === "UploadPartCommand" && partNumber(call) === 2));
    const prefix = `s3/${randomUUID()}/`;
    await expect(blobs.put(`${prefix}large.bin`, new Uint8Array(20 * MiB))).rejects.toThrow("injected failure in UploadPartCommand");
    expect(count(calls, "AbortMultipartUploadCommand")).toBe(1);
    expect(count(calls, "CompleteMultipartUploadCommand")).toBe(0);
    expect(await uploadsInProgress(testClient(), prefix)).toEqual([]);
    await expect(blobs.get(`${prefix}large.bin`)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("aborts the upload when completing it fails", async () => {
    const calls: Call[] = [];
    const blobs = store(instrumentedClient(calls, (call) => call.command === "CompleteMultipartUploadCommand"));
    const prefix = `s3/${randomUUID()}/`;
    await expect(blobs.put(`${prefix}large.bin`, new Uint8Array(12 * MiB))).rejects.toThrow("injected failure");
    expect(count(calls, "UploadPartCommand")).toBe(3);
    expect(count(calls, "AbortMultipartUploadCommand")).toBe(1);
    expect(await uploadsInProgress(testClient(), prefix)).toEqual([]);
  });

  it("lists page by page", async () => {
    const calls: Call[] = [];
    const blobs = store(instrumentedClient(calls), { listPageSize: 2 });
    const prefix = `s3/${randomUUID()}/`;
    const keys = ["1", "2", "3", "4", "5"].map((name) => `${prefix}${name}`);
    for (const key of keys) await blobs.put(key, Uint8Array.of(1));
    const listed: string[] = [];
    for await (const info of blobs.list(prefix)) listed.push(info.key);
    expect(listed).toEqual(keys);
    expect(count(calls, "ListObjectsV2Command")).toBe(3);
  });

  it("a presigned PUT stores the object when sent with the returned headers", async () => {
    const blobs = store(testClient());
    const key = `s3/${randomUUID()}/presigned.bin`;
    const body = Uint8Array.of(9, 8, 7, 6, 5);
    const signed = await blobs.presignPut(key, { expiresInSeconds: 60, contentType: "application/octet-stream", contentLength: body.byteLength });
    const query = new URL(signed.url).searchParams;
    // Both headers are pinned by the signature, and no checksum of an empty body rides along.
    expect(query.get("X-Amz-SignedHeaders")?.split(";")).toEqual(["content-length", "content-type", "host"]);
    expect([...query.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    const response = await fetch(signed.url, { method: signed.method, headers: signed.headers, body });
    expect(response.status).toBe(200);
    expect(await blobs.get(key)).toEqual(body);
  });

  it("refuses parts below S3's 5 MiB minimum", () => {
    expect(() => createS3BlobStore({ client: testClient(), bucket: BUCKET, partSize: 5 * MiB - 1 })).toThrow(/partSize/);
  });
});

/**
 * Global setup: an S3-compatible server (s3rver, in this process) on a free loopback port, with
 * the bucket "semla-test". Tests read its URL with inject("s3Endpoint"); s3rver accepts any
 * credentials (use "S3RVER"/"S3RVER", region us-east-1, forcePathStyle: true).
 *
 * s3rver 3.7.1 gets four things wrong that the S3 blob store relies on; a small front answers
 * those requests itself, from s3rver's files, and passes everything else through, so the store
 * makes exactly the calls it makes against real S3:
 * - AbortMultipartUpload is missing (405 MethodNotAllowed);
 * - ListMultipartUploads is missing (501 NotImplemented);
 * - ListObjectsV2 cannot page: its continuation tokens use DES, which OpenSSL 3 (Node >= 17) no
 *   longer offers, so any truncated listing is a 500 InternalError; and it lists directory by
 *   directory ("k/a/b" before "k/a-c" and "k/a.txt"), not in key order, which S3 guarantees and
 *   its own start-after logic assumes;
 * - GetObject with "Range: bytes=0-0" returns the whole object (an end of 0 reads as "none").
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    s3Endpoint: string;
  }
}

const S3_TEST_BUCKET = "semla-test";

interface S3rverOptions {
  readonly silent: boolean;
  readonly directory: string;
  readonly configureBuckets: readonly { readonly name: string }[];
}

/** The part of s3rver's (untyped, CommonJS) API used here. */
interface S3rver {
  configureBuckets(): Promise<void>;
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
}

const require = createRequire(import.meta.url);
const S3rverClass: new (options: S3rverOptions) => S3rver = require("s3rver");

// s3rver's files (3.7.1): object "a/b" is <directory>/<bucket>/a/b._S3rver_object (MD5 beside it
// in "….md5"); a multipart upload is <directory>/<bucket>/._S3rver_uploads/<id>/ with a file "key".
const OBJECT_SUFFIX = "._S3rver_object";
const UPLOADS_DIR = "._S3rver_uploads";
const UPLOAD_ID = /^[0-9a-f]+$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{2,62}$/;

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendXml(response: ServerResponse, status: number, body: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  response.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
  response.end(xml);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function objectFile(directory: string, bucket: string, key: string): string {
  const segments = key.split("/");
  const last = segments.pop() ?? "";
  return path.join(directory, bucket, ...segments, `${last}${OBJECT_SUFFIX}`);
}

/** Keys under prefix, in key order; only directories the prefix can reach are read. */
async function objectKeys(bucketDir: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  async function walk(dir: string, keyPrefix: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) {
        const sub = `${keyPrefix}${entry.name}/`;
        if (entry.name !== UPLOADS_DIR && (sub.startsWith(prefix) || prefix.startsWith(sub))) await walk(path.join(dir, entry.name), sub);
      } else if (entry.name.endsWith(OBJECT_SUFFIX)) {
        const key = `${keyPrefix}${entry.name.slice(0, -OBJECT_SUFFIX.length)}`;
        if (key.startsWith(prefix)) keys.push(key);
      }
    }
  }
  await walk(bucketDir, "");
  return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))); // S3 orders by UTF-8 bytes
}

/** ListObjectsV2 with prefix, max-keys, start-after and continuation tokens (base64url of the last key). */
async function listObjectsV2(directory: string, bucket: string, query: URLSearchParams, response: ServerResponse): Promise<void> {
  const prefix = query.get("prefix") ?? "";
  const maxKeys = Math.min(1000, Number(query.get("max-keys") ?? "1000"));
  const token = query.get("continuation-token");
  const after = token === null ? (query.get("start-after") ?? "") : Buffer.from(token, "base64url").toString("utf8");
  const keys = (await objectKeys(path.join(directory, bucket), prefix)).filter((key) => key > after);
  const page = keys.slice(0, maxKeys);
  const truncated = keys.length > page.length;
  const contents: string[] = [];
  for (const key of page) {
    const file = objectFile(directory, bucket, key);
    const info = await stat(file);
    const md5 = await readFile(`${file}.md5`, "utf8").catch(() => undefined);
    contents.push(
      `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${info.mtime.toISOString()}</LastModified>` +
        `${md5 === undefined ? "" : `<ETag>&quot;${md5}&quot;</ETag>`}<Size>${info.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  const last = page.at(-1);
  const next = truncated && last !== undefined ? `<NextContinuationToken>${Buffer.from(last).toString("base64url")}</NextContinuationToken>` : "";
  sendXml(
    response,
    200,
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      `${token === null ? "" : `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`}${next}${contents.join("")}</ListBucketResult>`,
  );
}

async function listUploads(directory: string, bucket: string, prefix: string, response: ServerResponse): Promise<void> {
  const uploadsDir = path.join(directory, bucket, UPLOADS_DIR);
  const ids = await readdir(uploadsDir).catch(() => []);
  const uploads: string[] = [];
  for (const id of ids.sort()) {
    const key = await readFile(path.join(uploadsDir, id, "key"), "utf8").catch(() => undefined);
    if (key === undefined || !key.startsWith(prefix)) continue;
    const initiated = (await stat(path.join(uploadsDir, id))).mtime.toISOString();
    uploads.push(`<Upload><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`);
  }
  sendXml(
    response,
    200,
    `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket>` +
      `<Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join("")}</ListMultipartUploadsResult>`,
  );
}

async function abortUpload(directory: string, bucket: string, key: string, uploadId: string, response: ServerResponse): Promise<void> {
  const uploadDir = path.join(directory, bucket, UPLOADS_DIR, uploadId);
  const uploadKey = UPLOAD_ID.test(uploadId) ? await readFile(path.join(uploadDir, "key"), "utf8").catch(() => undefined) : undefined;
  if (uploadKey !== key) {
    sendXml(response, 404, `<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xmlEscape(uploadId)}</UploadId></Error>`);
    return;
  }
  await rm(uploadDir, { recursive: true, force: true });
  response.writeHead(204).end();
}

/** GetObject of the first byte alone; false (let s3rver answer) for a missing or empty object. */
async function firstByte(directory: string, bucket: string, key: string, response: ServerResponse): Promise<boolean> {
  const file = objectFile(directory, bucket, key);
  const bytes = await readFile(file).catch(() => undefined);
  if (bytes === undefined || bytes.byteLength === 0) return false;
  response.writeHead(206, {
    "accept-ranges": "bytes",
    "content-range": `bytes 0-0/${bytes.byteLength}`,
    "content-length": 1,
    "content-type": "application/octet-stream",
    "last-modified": (await stat(file)).mtime.toUTCString(),
  });
  response.end(bytes.subarray(0, 1));
  return true;
}

/** Answers the requests s3rver gets wrong; true when it did. Everything else goes to s3rver. */
async function front(directory: string, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  const url = new URL(request.url ?? "/", "http://s3rver");
  const [, bucketPart = "", ...keyParts] = url.pathname.split("/");
  const bucket = decodeURIComponent(bucketPart);
  const key = keyParts.map(decodeURIComponent).join("/");
  const query = url.searchParams;
  const uploadId = query.get("uploadId");
  const get = request.method === "GET";
  const route =
    get && key === "" && query.has("uploads")
      ? "list-uploads"
      : get && key === "" && query.get("list-type") === "2" && !query.has("delimiter")
        ? "list-objects"
        : request.method === "DELETE" && key !== "" && uploadId !== null
          ? "abort"
          : get && key !== "" && request.headers.range === "bytes=0-0" && [...query.keys()].every((name) => name === "x-id")
            ? "first-byte"
            : undefined;
  if (route === undefined || !BUCKET_NAME.test(bucket) || !(await exists(path.join(directory, bucket)))) return false;
  switch (route) {
    case "list-uploads":
      await listUploads(directory, bucket, query.get("prefix") ?? "", response);
      return true;
    case "list-objects":
      await listObjectsV2(directory, bucket, query, response);
      return true;
    case "abort":
      await abortUpload(directory, bucket, key, uploadId ?? "", response);
      return true;
    case "first-byte":
      return firstByte(directory, bucket, key, response);
  }
}

export interface S3Server {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** s3rver on a free loopback port with the test bucket, behind front() for the requests it lacks. */
export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "semla-s3rver-"));
  const s3rver = new S3rverClass({ silent: true, directory, configureBuckets: [{ name: S3_TEST_BUCKET }] });
  await s3rver.configureBuckets();
  const s3rverHandler = s3rver.callback();

  // Our own HTTP server (s3rver documents callback() for this) so that front() can come first.
  const server = createServer((request, response) => {
    front(directory, request, response).then(
      (handled) => {
        if (!handled) s3rverHandler(request, response);
      },
      (error: unknown) => {
        response.writeHead(500).end(String(error));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections(); // keep-alive sockets from the SDK would hold close() open
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startS3Server();
  project.provide("s3Endpoint", server.endpoint);
  return () => server.close();
}

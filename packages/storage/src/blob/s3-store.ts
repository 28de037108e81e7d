import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type BlobInfo, BlobNotFoundError, type BlobStore, type ByteRange } from "./blob-store.js";
import { BlobRangeError, checkRange } from "./byte-range.js";
import { mapLimited } from "./map-limited.js";
import { type BlobOutageClassifier, guardBlobOutages } from "./outage.js";

/** The only module that talks to S3: production storage, and s3rver in the tests. */
export interface S3BlobStoreOptions {
  /** A ready client (tests add middleware to it); otherwise one is made from the fields below. */
  readonly client?: S3Client;
  readonly bucket: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  readonly credentials?: S3ClientConfig["credentials"];
  /** Bytes per multipart part, at least 5 MiB (S3's minimum for all but the last). Default 8 MiB. */
  readonly partSize?: number;
  /** Bodies larger than this go up in parts. Default 16 MiB. */
  readonly multipartThreshold?: number;
  /** Keys per ListObjectsV2 page, at most 1000 (S3's maximum). Default 1000. */
  readonly listPageSize?: number;
  /** For a client made here: connecting gives up after this. Default 5 s. */
  readonly connectionTimeoutMs?: number;
  /** For a client made here: one request (sent and answered) gives up after this. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

/** So no request hangs on a store that is down or unreachable; the SDK retries each (3 attempts in all). */
export const S3_TIMEOUT_DEFAULTS = { connectionTimeoutMs: 5_000, requestTimeoutMs: 30_000 } as const;

const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
const PART_CONCURRENCY = 4;

function positiveInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function status(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

/** NoSuchKey; a bare 404 too (HEAD has no body to name the error), but never a missing bucket. */
function isMissingKey(error: unknown): boolean {
  if (!(error instanceof S3ServiceException) || error.name === "NoSuchBucket") return false;
  return error.name === "NoSuchKey" || status(error) === 404;
}

/** Socket failures: the store is down, restarting or unreachable. */
const NETWORK_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND", "ECONNABORTED"]);
/** S3's (and compatible servers') "slow down" answers, whatever their status. */
const THROTTLING = new Set(["SlowDown", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "ServiceUnavailable", "RequestTimeout"]);

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && name in value ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * S3 outages (after the SDK's own retries): the network (refused, reset, timed out), throttling
 * (SlowDown, 429, 503) and S3's 5xx. A 4xx other than those (a missing bucket, access denied) is a
 * configuration error, not an outage.
 */
export const s3Outage: BlobOutageClassifier = (error) => {
  for (let link: unknown = error, depth = 0; link !== undefined && link !== null && depth < 4; link = field(link, "cause"), depth++) {
    const code = field(link, "code");
    if (typeof code === "string" && NETWORK_ERRNOS.has(code)) return code;
    const errors = field(link, "errors");
    if (Array.isArray(errors)) {
      const inner = errors.map((e) => field(e, "code")).find((c): c is string => typeof c === "string" && NETWORK_ERRNOS.has(c));
      if (inner !== undefined) return inner;
    }
    const name = field(link, "name");
    if (name === "TimeoutError") return "timeout";
    if (typeof name === "string" && THROTTLING.has(name)) return name;
    const status = field(field(link, "$metadata"), "httpStatusCode");
    if (typeof status === "number" && (status >= 500 || status === 429)) return `http-${status}`;
  }
  return undefined;
};

/** Presigning runs the PutObject pipeline on an empty body, so the SDK's default CRC32 is the
 * checksum of nothing; left in the URL it would make S3 refuse every real upload. */
function withoutChecksums(request: unknown): void {
  if (typeof request !== "object" || request === null || !("headers" in request)) return;
  const headers = request.headers;
  if (typeof headers !== "object" || headers === null) return;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith("x-amz-checksum-") || lower === "x-amz-sdk-checksum-algorithm") Reflect.deleteProperty(headers, name);
  }
}

export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  return guardBlobOutages(createS3Driver(options), s3Outage);
}

function createS3Driver(options: S3BlobStoreOptions): BlobStore {
  const Bucket = options.bucket;
  const partSize = positiveInteger("partSize", options.partSize ?? 8 * MiB, MIN_PART_SIZE);
  const multipartThreshold = positiveInteger("multipartThreshold", options.multipartThreshold ?? 16 * MiB, 1);
  const listPageSize = positiveInteger("listPageSize", options.listPageSize ?? 1000, 1, 1000);
  const client =
    options.client ??
    new S3Client({
      region: options.region ?? "us-east-1",
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? S3_TIMEOUT_DEFAULTS.connectionTimeoutMs,
        requestTimeout: options.requestTimeoutMs ?? S3_TIMEOUT_DEFAULTS.requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
    });

  async function head(key: string): Promise<BlobInfo | undefined> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      throw error;
    }
  }

  /** S3 cannot express an empty range, so check existence and bounds with a HEAD instead. */
  async function emptyRange(key: string, range: ByteRange): Promise<Uint8Array> {
    const info = await head(key);
    if (info === undefined) throw new BlobNotFoundError(key);
    if (range.offset > info.size) throw new BlobRangeError(key, range, info.size);
    return new Uint8Array(0);
  }

  async function get(key: string, range?: ByteRange): Promise<Uint8Array> {
    if (range !== undefined) {
      checkRange(key, range);
      if (range.length === 0) return emptyRange(key, range);
    }
    let bytes: Uint8Array;
    try {
      const Range = range === undefined ? undefined : `bytes=${range.offset}-${range.offset + range.length - 1}`;
      const out = await client.send(new GetObjectCommand({ Bucket, Key: key, Range }));
      if (out.Body === undefined) throw new Error(`S3 returned no body for ${key}`);
      bytes = await out.Body.transformToByteArray();
    } catch (error) {
      if (isMissingKey(error)) throw new BlobNotFoundError(key);
      if (range !== undefined && status(error) === 416) throw new BlobRangeError(key, range);
      throw error;
    }
    // S3 answers a range that starts inside the object but ends past it with the bytes it has.
    if (range !== undefined && bytes.byteLength !== range.length) throw new BlobRangeError(key, range);
    return bytes;
  }

  /**
   * Parts of partSize (grown if needed to stay within S3's 10,000 parts), four in flight. CRC32
   * is declared up front and each part's checksum passed on at completion, as S3 requires once
   * parts carry checksums. Any failure aborts the upload so no orphaned parts are billed.
   */
  async function putMultipart(key: string, body: Uint8Array, contentType: string | undefined): Promise<void> {
    const size = Math.max(partSize, Math.ceil(body.byteLength / MAX_PARTS));
    const count = Math.ceil(body.byteLength / size);
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType, ChecksumAlgorithm: "CRC32" }));
    const UploadId = created.UploadId;
    if (UploadId === undefined) throw new Error(`S3 returned no upload id for ${key}`);
    try {
      const parts = await mapLimited(count, PART_CONCURRENCY, async (index): Promise<CompletedPart> => {
        const PartNumber = index + 1;
        const Body = body.subarray(index * size, Math.min(body.byteLength, (index + 1) * size));
        const out = await client.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body, ContentLength: Body.byteLength, ChecksumAlgorithm: "CRC32" }));
        if (out.ETag === undefined) throw new Error(`S3 returned no ETag for part ${PartNumber} of ${key}`);
        return { PartNumber, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 };
      });
      await client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId }));
      } catch (abortError) {
        throw new AggregateError([error, abortError], `multipart upload ${UploadId} of ${key} failed, and so did aborting it: its parts remain until a lifecycle rule removes them`);
      }
      throw error;
    }
  }

  return {
    kind: "s3",
    get,
    head,

    async put(key, body, putOptions) {
      const contentType = putOptions?.contentType;
      if (body.byteLength > multipartThreshold) return putMultipart(key, body, contentType);
      await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: body.byteLength, ContentType: contentType }));
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key })); // S3 answers 204 for a missing key too
    },

    async *list(prefix) {
      let ContinuationToken: string | undefined;
      do {
        const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, MaxKeys: listPageSize, ContinuationToken }));
        for (const object of out.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
        }
        ContinuationToken = out.IsTruncated === true ? out.NextContinuationToken : undefined;
      } while (ContinuationToken !== undefined);
    },

    async presignPut(key, { expiresInSeconds, contentType, contentLength }) {
      // SigV4 timestamps have whole seconds; start from one so expiresAt is exactly the URL's.
      const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
      const command = new PutObjectCommand({ Bucket, Key: key, ContentType: contentType, ContentLength: contentLength });
      command.middlewareStack.add(
        (next) => async (args) => {
          withoutChecksums(args.request);
          return next(args);
        },
        // "low" runs after the checksum middleware (normal priority) in the same build step.
        { step: "build", priority: "low", name: "semlaPresignWithoutChecksums" },
      );
      const url = await getSignedUrl(client, command, {
        expiresIn: expiresInSeconds,
        signingDate,
        // The S3 presigner leaves Content-Type unsigned by default; sign it so the URL pins it.
        signableHeaders: new Set(["content-type"]),
      });
      const headers: Record<string, string> = {};
      if (contentType !== undefined) headers["content-type"] = contentType;
      if (contentLength !== undefined) headers["content-length"] = String(contentLength);
      return { url, method: "PUT", headers, expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000) };
    },
  };
}

import { type BlobStore, PRESIGNED_UPLOAD_PATH, verifyPresignedPut } from "@semla/storage";
import { Hono } from "hono";
import type { AppEnv } from "../http/env.js";
import { ApiError } from "../http/errors.js";

/**
 * The filesystem store's presigned PUT target (S3 serves its own). The URL's signature is the
 * credential, as with S3: no API key. The body may be as large as the signed Content-Length, which
 * is why this route is outside the API's body limit.
 */
export function blobsRoutes(store: BlobStore, secret: string) {
  return new Hono<AppEnv>().put(PRESIGNED_UPLOAD_PATH, async (c) => {
    const length = c.req.header("content-length");
    const check = verifyPresignedPut({ url: c.req.url, contentLength: length === undefined ? undefined : Number(length), contentType: c.req.header("content-type") }, secret);
    if (!check.ok) throw new ApiError("invalid-key", `the presigned URL is not valid (${check.reason})`, { reason: check.reason });
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength !== check.contentLength) throw new ApiError("invalid-request", "the body's size is not the signed Content-Length", { expected: check.contentLength, actual: body.byteLength });
    await store.put(check.key, body, check.contentType ? { contentType: check.contentType } : {});
    return c.body(null, 200);
  });
}

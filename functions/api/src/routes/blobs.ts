import { createRoute, z } from "@hono/zod-openapi";
import { text } from "@semla/core";
import { type BlobStore, PRESIGNED_UPLOAD_PATH, verifyPresignedPut } from "@semla/storage";
import { Hono } from "hono";
import type { AppEnv } from "../http/env.js";
import { ApiError } from "../http/errors.js";
import { errorResponses, PUBLIC } from "../http/openapi.js";

/**
 * The presigned PUT as the OpenAPI document states it. The URL comes whole from an upload grant
 * (POST /v1/adapters/uploads, POST /v1/uploads/images): a client sends it as given, with the grant's
 * headers. Documented always; served only where the API is its own object store (the embedded
 * default): with S3 the grant's URL is S3's.
 */
export const presignedUploadRoute = createRoute({
  method: "put",
  path: PRESIGNED_UPLOAD_PATH,
  operationId: "presignedUpload",
  summary: "Upload a file to a presigned URL",
  description:
    "The target of an upload grant's URL where the API stores objects itself (the embedded default's filesystem store; with S3 the grant's URL is S3's). Send the URL exactly as granted, with the grant's headers: its signature is the credential (no API key), and the body must be the signed Content-Length. It is outside the API's body limit.",
  tags: ["uploads"],
  security: PUBLIC,
  request: {
    query: z.object({
      key: text().describe("The object key the grant is for"),
      expires: text().describe("Unix seconds after which the URL is refused"),
      "content-length": text().optional().describe("The signed body size in bytes"),
      "content-type": text().optional().describe("The signed Content-Type"),
      signature: text().describe("HMAC-SHA256 of the grant (hex)"),
    }),
    body: { required: true, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } },
  },
  responses: {
    200: { description: "Stored; complete the upload with the grant's completion route" },
    ...errorResponses(400, 401),
  },
});

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

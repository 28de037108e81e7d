import { createHmac, timingSafeEqual } from "node:crypto";
import type { PresignedPut } from "./blob-store.js";
import { checkKey } from "./fs-key-path.js";

/**
 * Presigned uploads for the filesystem store: the embedded API serves PUT /v1/blobs/upload and
 * accepts a request only if verifyPresignedPut says the URL was signed with its secret and is
 * still valid, so clients can upload without holding any credential of their own.
 */
export const PRESIGNED_UPLOAD_PATH = "/v1/blobs/upload";

export interface FsPresignConfig {
  /** Where the embedded API is reached, e.g. "http://127.0.0.1:8080". */
  readonly baseUrl: string;
  /** HMAC-SHA256 key; at least 16 bytes. */
  readonly secret: Uint8Array | string;
}

export interface PresignPutOptions {
  readonly expiresInSeconds: number;
  readonly contentType?: string;
  readonly contentLength?: number;
}

/** What the URL grants, signed as a whole. */
interface Grant {
  readonly key: string;
  /** Unix seconds. */
  readonly expires: number;
  readonly contentLength: number | undefined;
  readonly contentType: string | undefined;
}

const MIN_SECRET_BYTES = 16;

function secretBytes(secret: Uint8Array | string): Uint8Array {
  const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < MIN_SECRET_BYTES) throw new Error(`the presign secret must be at least ${MIN_SECRET_BYTES} bytes`);
  return bytes;
}

function sign(secret: Uint8Array, grant: Grant): Buffer {
  // JSON keeps the fields unambiguous: no value can run into the next one.
  const message = JSON.stringify(["PUT", grant.key, grant.expires, grant.contentLength ?? null, grant.contentType ?? null]);
  return createHmac("sha256", secret).update(message).digest();
}

export function presignFsPut(config: FsPresignConfig, key: string, options: PresignPutOptions, now: Date = new Date()): PresignedPut {
  checkKey(key);
  const { expiresInSeconds, contentType, contentLength } = options;
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds <= 0) {
    throw new Error(`expiresInSeconds must be a positive integer, got ${expiresInSeconds}`);
  }
  if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw new Error(`contentLength must be a non-negative integer, got ${contentLength}`);
  }
  const grant: Grant = { key, expires: Math.floor(now.getTime() / 1000) + expiresInSeconds, contentLength, contentType };
  const params = new URLSearchParams({ key, expires: String(grant.expires) });
  const headers: Record<string, string> = {};
  if (contentLength !== undefined) {
    params.set("content-length", String(contentLength));
    headers["content-length"] = String(contentLength);
  }
  if (contentType !== undefined) {
    params.set("content-type", contentType);
    headers["content-type"] = contentType;
  }
  params.set("signature", sign(secretBytes(config.secret), grant).toString("hex"));
  const base = config.baseUrl.replace(/\/+$/, "");
  return { url: `${base}${PRESIGNED_UPLOAD_PATH}?${params}`, method: "PUT", headers, expiresAt: new Date(grant.expires * 1000) };
}

/** The upload request as the API received it. */
export interface PresignedPutRequest {
  /** The full URL, the path and query (as in a request line), or the parsed query. */
  readonly url: string | URL | URLSearchParams;
  /** The request's Content-Length, undefined when it has none (a chunked body). */
  readonly contentLength?: number | undefined;
  readonly contentType?: string | undefined;
}

export type PresignedPutCheck =
  | { readonly ok: true; readonly key: string; readonly expiresAt: Date; readonly contentLength?: number; readonly contentType?: string }
  | { readonly ok: false; readonly reason: "malformed" | "signature" | "expired" | "content-length" | "content-type" };

const DIGITS = /^(0|[1-9][0-9]*)$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function queryOf(url: string | URL | URLSearchParams): URLSearchParams {
  if (url instanceof URLSearchParams) return url;
  return new URL(url, "http://localhost").searchParams;
}

function parseGrant(params: URLSearchParams): Grant | undefined {
  const key = params.get("key");
  const expires = params.get("expires");
  const length = params.get("content-length");
  if (key === null || expires === null || !DIGITS.test(expires)) return undefined;
  if (length !== null && !DIGITS.test(length)) return undefined;
  try {
    checkKey(key);
  } catch {
    return undefined;
  }
  return {
    key,
    expires: Number(expires),
    contentLength: length === null ? undefined : Number(length),
    contentType: params.get("content-type") ?? undefined,
  };
}

/** Checks the signature first (nothing unsigned is trusted), then expiry, then the pinned headers. */
export function verifyPresignedPut(request: PresignedPutRequest, secret: Uint8Array | string, now: Date = new Date()): PresignedPutCheck {
  const params = queryOf(request.url);
  const grant = parseGrant(params);
  const signature = params.get("signature");
  if (grant === undefined || signature === null || !HEX_SHA256.test(signature)) return { ok: false, reason: "malformed" };
  if (!timingSafeEqual(sign(secretBytes(secret), grant), Buffer.from(signature, "hex"))) return { ok: false, reason: "signature" };
  if (now.getTime() > grant.expires * 1000) return { ok: false, reason: "expired" };
  if (grant.contentLength !== undefined && request.contentLength !== grant.contentLength) return { ok: false, reason: "content-length" };
  if (grant.contentType !== undefined && request.contentType !== grant.contentType) return { ok: false, reason: "content-type" };
  return {
    ok: true,
    key: grant.key,
    expiresAt: new Date(grant.expires * 1000),
    ...(grant.contentLength === undefined ? {} : { contentLength: grant.contentLength }),
    ...(grant.contentType === undefined ? {} : { contentType: grant.contentType }),
  };
}

import { BlobNotFoundError, type BlobStore } from "@semla/storage";
import { decodeInferenceResponse } from "../transport/response.js";
import type { AsyncOutcome, AsyncSubmission, BackendResponse } from "../types.js";
import { BackendError } from "./errors.js";

/**
 * The bucket side of SageMaker Asynchronous Inference, free of the SDK: the S3 URIs it takes and
 * gives, and what an answer left at the output or failure location means. Completion is found by
 * reading those locations (polling), not by the endpoint's SNS notifications: polling needs nothing
 * but the bucket the API already reads (no topic, no subscription reachable from SNS, no extra
 * function), works the same on loopback (s3rver) and survives a lost notification.
 */

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The key of an s3:// URI in the bucket; refuses another bucket (the endpoint config names this one). */
export function keyOfS3Uri(uri: string, bucket: string): string {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match || match[1] !== bucket) {
    throw new BackendError("invalid-response", `SageMaker gave the location ${uri}, not an object of bucket ${bucket} (the endpoint config's AsyncInferenceConfig must write there)`, {
      location: uri,
      bucket,
    });
  }
  return match[2] as string;
}

async function read(store: BlobStore, key: string): Promise<Uint8Array | undefined> {
  try {
    return await store.get(key);
  } catch (error) {
    if (error instanceof BlobNotFoundError) return undefined;
    throw error;
  }
}

/** The failure body: the endpoint's `{error: {code, message, details}}`, or SageMaker's own text. */
function failureOf(body: Uint8Array): Extract<AsyncOutcome, { state: "failed" }>["error"] {
  const text = new TextDecoder().decode(body);
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const error = parsed.error;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      const details = typeof error.details === "object" && error.details !== null ? (error.details as Record<string, unknown>) : {};
      return { code: error.code, message: error.message, details };
    }
  } catch {
    // not JSON: SageMaker's own message
  }
  return { code: "backend.rejected", message: text.slice(0, 2000) || "the asynchronous inference failed", details: {} };
}

/** The answer at the output location, the failure at the failure location, or nothing yet. */
export async function collectAsync(store: BlobStore, submission: AsyncSubmission): Promise<AsyncOutcome> {
  const output = await read(store, submission.outputKey);
  if (output) {
    let response: BackendResponse;
    try {
      response = { ...decodeInferenceResponse(output), fusion: submission.fusion };
    } catch (error) {
      return { state: "failed", error: { code: "backend.invalid-response", message: `the endpoint's answer is unreadable: ${(error as Error).message}`, details: {} } };
    }
    return { state: "succeeded", response };
  }
  const failure = await read(store, submission.failureKey);
  return failure ? { state: "failed", error: failureOf(failure) } : { state: "pending" };
}

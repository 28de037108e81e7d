import { z } from "zod";
import { BackendError, EndpointReportedError } from "./errors.js";

/**
 * What a failed InvokeEndpoint means, read from the SDK's error by shape (name, $metadata, fields),
 * so this module needs no SDK import. SageMaker wraps a container's non-2xx answer in ModelError
 * (424) with OriginalStatusCode/OriginalMessage; a server speaking the protocol directly (the
 * reference endpoint on loopback) answers with its own status and body, which the SDK decorates
 * onto the error.
 */
export interface InvocationFailure {
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** The error to raise when no retry is left. */
  readonly error: Error;
}

const ReportedSchema = z.object({
  error: z.object({ code: z.string().min(1), message: z.string(), details: z.record(z.string(), z.unknown()).default({}) }),
});

const THROTTLING = new Set(["ThrottlingException", "ModelNotReadyException", "TooManyRequestsException"]);
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET"]);

function field(error: unknown, name: string): unknown {
  return typeof error === "object" && error !== null && name in error ? (error as Record<string, unknown>)[name] : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const status = field(field(error, "$metadata"), "httpStatusCode");
  return typeof status === "number" ? status : undefined;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The endpoint's `{ error: { code, message, details } }`, wherever the SDK put it. */
function reported(error: unknown): z.output<typeof ReportedSchema>["error"] | undefined {
  const direct = ReportedSchema.safeParse({ error: field(error, "error") });
  if (direct.success) return direct.data.error;
  const wrapped = ReportedSchema.safeParse(parseJson(field(error, "OriginalMessage")));
  return wrapped.success ? wrapped.data.error : undefined;
}

function messageOf(error: unknown): string {
  const original = field(error, "OriginalMessage");
  if (typeof original === "string" && original.length > 0) return original;
  // The SDK could not parse an error body (a proxy's HTML, plain text): its parser's complaint says nothing useful.
  if (error instanceof SyntaxError) return "no readable error body";
  return error instanceof Error ? error.message : String(error);
}

/**
 * SageMaker's answer to an invocation while the endpoint's inference component has no copies (scaled
 * to zero, or still scaling out from zero): HTTP 400 with the error type `ValidationError` (the
 * `x-amzn-ErrorType` header; the SDK raises its ValidationError, `$fault: "client"`) and the message
 *
 *   "Inference Component has no capacity to process this request. ApplicationAutoScaling may be
 *    in-progress (if configured) or try to increase the capacity by invoking
 *    UpdateInferenceComponentRuntimeConfig API."
 *
 * (AWS Machine Learning Blog, "Unlock cost savings with the new scale down to zero feature in
 * SageMaker Inference", 2024-12-02, section "Test the solution":
 * https://aws.amazon.com/blogs/machine-learning/unlock-cost-savings-with-the-new-scale-down-to-zero-feature-in-amazon-sagemaker-inference/ ;
 * the developer guide, "Scale an endpoint to zero instances", says only that "any attempts to invoke
 * the endpoint will produce an error" while it provisions). Each such failure counts in the
 * inference component's `NoCapacityInvocationFailures` metric, whose alarm starts the scale-out:
 * answering it is what triggers the GPU's return.
 *
 * Matched by the error type and a message about capacity, not the whole sentence (AWS may reword
 * it): any other ValidationError stays a refused request (backend.rejected), so a mistake in the
 * request is never mistaken for a cold GPU that clients would wait minutes for.
 */
function isNoCapacity(name: unknown, status: number | undefined, message: string): boolean {
  return name === "ValidationError" && (status === undefined || status === 400) && /\bno capacity\b/i.test(message);
}

/** Seconds a client is told to wait before retrying while the GPU scales from zero; default 30 (scaling out takes minutes). */
export const SCALE_FROM_ZERO_RETRY_AFTER_SECONDS = 30;

export interface InvocationContext {
  readonly endpointName: string;
  readonly inferenceComponentName?: string | undefined;
  /** Retry-After while the inference component scales from zero; default SCALE_FROM_ZERO_RETRY_AFTER_SECONDS. */
  readonly scaleFromZeroRetryAfterSeconds?: number | undefined;
}

export function classifyInvocationError(error: unknown, context: InvocationContext): InvocationFailure {
  const name = field(error, "name");
  const modelError = name === "ModelError";
  const originalStatus = field(error, "OriginalStatusCode");
  const status = modelError && typeof originalStatus === "number" ? originalStatus : httpStatus(error);
  const report = reported(error);
  const message = report?.message ?? messageOf(error);
  const details = { endpointName: context.endpointName, status, ...(report ? { endpointCode: report.code } : {}) };

  if (isNoCapacity(name, status, message)) {
    // Not retried here: the GPU takes minutes, the request would only hold the API (and its caller) that long.
    const retryAfterSeconds = context.scaleFromZeroRetryAfterSeconds ?? SCALE_FROM_ZERO_RETRY_AFTER_SECONDS;
    const component = context.inferenceComponentName ?? null;
    return {
      status,
      retryable: false,
      error: new BackendError(
        "scaling-from-zero",
        `endpoint ${context.endpointName}${component ? ` (inference component ${component})` : ""} has no GPU capacity: it is scaling from zero, which takes minutes; retry in ${retryAfterSeconds} s (SageMaker: ${message})`,
        // The endpoint's state, for the client's progress line (and core's Retry-After: retryAfterSeconds).
        { endpointName: context.endpointName, inferenceComponentName: component, state: "scaling-from-zero", retryAfterSeconds, status },
      ),
    };
  }

  if (status === 429 || (typeof name === "string" && THROTTLING.has(name))) {
    return { status, retryable: true, error: new BackendError("unavailable", `endpoint ${context.endpointName} is throttling requests: ${message}`, details) };
  }
  if (status === 413) {
    return { status, retryable: false, error: new BackendError("payload-too-large", `endpoint ${context.endpointName} refused the request as too large: ${message}`, details) };
  }
  if (status !== undefined && status >= 500) {
    return { status, retryable: true, error: new BackendError("unavailable", `endpoint ${context.endpointName} failed (HTTP ${status}): ${message}`, details) };
  }
  if (status !== undefined && status >= 400) {
    // A request the endpoint itself refused keeps the endpoint's code: the API maps it like a local error.
    if (report) return { status, retryable: false, error: new EndpointReportedError(report.code, report.message, report.details, status) };
    return { status, retryable: false, error: new BackendError("rejected", `endpoint ${context.endpointName} refused the request (HTTP ${status}): ${message}`, details) };
  }
  const code = field(error, "code");
  if (status === undefined && typeof code === "string" && NETWORK.has(code)) {
    return { status, retryable: true, error: new BackendError("unavailable", `endpoint ${context.endpointName} cannot be reached: ${message}`, { ...details, errno: code }) };
  }
  if (status !== undefined && status >= 200 && status < 300) {
    return { status, retryable: false, error: new BackendError("invalid-response", `endpoint ${context.endpointName} sent a response that cannot be read: ${message}`, details) };
  }
  return { status, retryable: false, error: new BackendError("unavailable", `invoking endpoint ${context.endpointName} failed: ${message}`, details) };
}

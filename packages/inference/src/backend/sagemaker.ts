import { InvokeEndpointAsyncCommand, InvokeEndpointCommand, SageMakerRuntimeClient, type SageMakerRuntimeClientConfig } from "@aws-sdk/client-sagemaker-runtime";
import { type Adapters, type StageClock, untimed } from "@semla/adapters";
import { type Metrics, noopMetrics, traceCustomAttributes } from "@semla/observability";
import type { BlobStore } from "@semla/storage";
import { encodeInvocation, INVOCATION_CONTENT_TYPE } from "../transport/envelope.js";
import { SAGEMAKER_PAYLOAD_LIMIT_BYTES } from "../transport/limits.js";
import { decodeInferenceResponse, RESPONSE_CONTENT_TYPE } from "../transport/response.js";
import type { AsyncInference, BackendResponse, InferenceBackend, InferenceRequest, InferenceResponse, InferOptions, Invocation } from "../types.js";
import { deadline } from "./deadline.js";
import { BackendError } from "./errors.js";
import { backoffDelay, waitBeforeRetry } from "./retry.js";
import { collectAsync, keyOfS3Uri, s3Uri } from "./sagemaker-async.js";
import { createBankPlans } from "./sagemaker-bank.js";
import { type DeliveryOptions, deliverMixture } from "./sagemaker-delivery.js";
import { classifyInvocationError } from "./sagemaker-errors.js";

/** The only module that talks to SageMaker. */
export interface SageMakerBackendOptions {
  readonly endpointName: string;
  /** The process's adapters: the mixture's sources are loaded (and fused, when it travels fused) through them. */
  readonly adapters: Adapters;
  /** Where fused adapters of other combinations than `cat` are written when they do not fit inline (the endpoint reads them there). */
  readonly store?: BlobStore;
  /** For endpoints that host inference components. */
  readonly inferenceComponentName?: string;
  readonly region?: string;
  /** A custom URL (the reference endpoint on loopback, in tests); default: the region's SageMaker runtime. */
  readonly endpoint?: string;
  readonly credentials?: SageMakerRuntimeClientConfig["credentials"];
  /** Per attempt. Default 60 s, SageMaker's own limit for a real-time invocation. */
  readonly timeoutMs?: number;
  /** Attempts in all, retrying throttling (429) and 5xx. Default 3. */
  readonly maxAttempts?: number;
  /** Decides how the adapter travels (inline only under it), and checked before sending. Default SageMaker's 6 MB. */
  readonly payloadLimitBytes?: number;
  /** First retry waits up to this (full jitter), doubling each retry up to retryMaxDelayMs. Default 200 ms. */
  readonly retryBaseDelayMs?: number;
  /** Default 5 s. */
  readonly retryMaxDelayMs?: number;
  /**
   * While the inference component has no copies (scaled to zero), the invocation fails at once with
   * backend.scaling-from-zero (never retried here), telling clients to retry after this many seconds.
   * Default 30.
   */
  readonly scaleFromZeroRetryAfterSeconds?: number;
  /**
   * Bank mode: a linear (`cat`) mixture of a request naming its library goes as a plan for the
   * library's bank (indices and weights), its generation's manifest published to `store` on first
   * use, with the cat manifest as the fallback. Default true when a store is given.
   */
  readonly bankPlans?: boolean;
  /**
   * Asynchronous invocations (InvokeEndpointAsync): the input goes to this bucket (the store is that
   * bucket), the endpoint config's AsyncInferenceConfig writes the output and failures there too.
   * Absent: no async path (jobs run through infer).
   */
  readonly async?: { readonly endpointName?: string; readonly bucket: string; readonly store: BlobStore; readonly requestTtlSeconds?: number };
  /** Retries, time-outs and the adapter bytes each request sends are reported here. Default: counted nowhere. */
  readonly metrics?: Pick<Metrics, "backendRetry" | "backendTimeout" | "adapterBytes">;
}

export function createSageMakerBackend(options: SageMakerBackendOptions): InferenceBackend {
  const { endpointName } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const limit = options.payloadLimitBytes ?? SAGEMAKER_PAYLOAD_LIMIT_BYTES;
  const backoff = { baseDelayMs: options.retryBaseDelayMs ?? 200, maxDelayMs: options.retryMaxDelayMs ?? 5000 };
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  const retryAfter = options.scaleFromZeroRetryAfterSeconds;
  if (retryAfter !== undefined && !(Number.isInteger(retryAfter) && retryAfter >= 1)) throw new RangeError(`scaleFromZeroRetryAfterSeconds must be a positive integer, got ${retryAfter}`);
  const metrics = options.metrics ?? noopMetrics;
  const banks = options.store && (options.bankPlans ?? true) ? createBankPlans(options.store) : undefined;
  const context = { endpointName, inferenceComponentName: options.inferenceComponentName, scaleFromZeroRetryAfterSeconds: retryAfter };

  // The SDK's own retries are off: the policy (what to retry, how long to wait) is this module's.
  const client = new SageMakerRuntimeClient({
    maxAttempts: 1,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });

  async function invokeOnce(body: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array> {
    // The active span (the infer stage's) goes with the invocation: SageMaker passes CustomAttributes
    // through to the container, which continues the trace. Nothing when tracing is off.
    const traced = traceCustomAttributes();
    const output = await client.send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        ...(options.inferenceComponentName === undefined ? {} : { InferenceComponentName: options.inferenceComponentName }),
        Body: body,
        ContentType: INVOCATION_CONTENT_TYPE,
        Accept: RESPONSE_CONTENT_TYPE,
        ...(traced === undefined ? {} : { CustomAttributes: traced }),
      }),
      signal ? { abortSignal: signal } : {},
    );
    if (!output.Body) throw new BackendError("invalid-response", `endpoint ${endpointName} answered with an empty body`, { endpointName });
    return output.Body;
  }

  /** How a mixture reaches this endpoint (both invocation kinds): the process's adapters, the store for what does not fit inline. */
  const delivery = (stage: StageClock, signal: AbortSignal | undefined): DeliveryOptions => ({
    adapters: options.adapters,
    ...(options.store && { store: options.store }),
    payloadLimitBytes: limit,
    stage,
    ...(signal && { signal }),
  });

  async function infer(request: InferenceRequest, callOptions: InferOptions = {}): Promise<BackendResponse> {
    const stage = callOptions.stage ?? untimed;
    const { invocation, fusion } = await deliverMixture(request, { ...delivery(stage, callOptions.signal), ...(banks && { banks }) });
    if (request.mixture) metrics.adapterBytes(invocation.adapter.kind === "inline" ? invocation.adapter.weights.byteLength : 0);
    const response = await stage("infer", () => invoke(invocation, callOptions));
    return { ...response, fusion };
  }

  async function invoke(request: Invocation, callOptions: InferOptions): Promise<InferenceResponse> {
    const body = encodeInvocation(request);
    if (body.byteLength > limit) {
      throw new BackendError(
        "payload-too-large",
        `the invocation is ${body.byteLength} bytes, over the ${limit}-byte limit of a SageMaker real-time request; ` +
          `the image must be smaller, and large adapters go by reference (a cat manifest or the object store), not inline`,
        { bytes: body.byteLength, limit, adapter: request.adapter.kind },
      );
    }
    const caller = callOptions.signal;
    const attemptTimeoutMs = callOptions.timeoutMs ?? timeoutMs;
    for (let attempt = 1; ; attempt++) {
      caller?.throwIfAborted();
      const { signal, timedOut } = deadline(caller, attemptTimeoutMs);
      let responseBody: Uint8Array;
      try {
        responseBody = await invokeOnce(body, signal);
      } catch (error) {
        if (caller?.aborted) throw caller.reason;
        if (timedOut()) {
          metrics.backendTimeout();
          throw new BackendError("timeout", `endpoint ${endpointName} did not answer within ${attemptTimeoutMs} ms (attempt ${attempt})`, {
            endpointName,
            timeoutMs: attemptTimeoutMs,
            attempts: attempt,
          });
        }
        if (error instanceof BackendError) throw error;
        const failure = classifyInvocationError(error, context);
        if (!failure.retryable || attempt >= maxAttempts) {
          if (failure.error instanceof BackendError && failure.retryable) {
            throw new BackendError(failure.error.rule, `${failure.error.message} (after ${attempt} attempts)`, { ...failure.error.details, attempts: attempt });
          }
          throw failure.error;
        }
        metrics.backendRetry();
        try {
          await waitBeforeRetry(backoffDelay(attempt, backoff), caller);
        } catch (abort) {
          throw caller?.aborted ? caller.reason : abort;
        }
        continue;
      }
      try {
        return decodeInferenceResponse(responseBody);
      } catch (error) {
        throw new BackendError("invalid-response", `endpoint ${endpointName} sent an unreadable response: ${(error as Error).message}`, { endpointName });
      }
    }
  }

  /**
   * InvokeEndpointAsync: the invocation is written to the bucket, SageMaker queues it (also while the
   * endpoint has no instance: its queue is what scales it out) and answers at once with where the
   * output or the failure will be. Not retried past the policy above: a throttled submission is
   * tried again by the job's next round.
   */
  function asyncInference(settings: NonNullable<SageMakerBackendOptions["async"]>): AsyncInference {
    return {
      async submit(request, at, callOptions = {}) {
        const asyncEndpoint = settings.endpointName ?? endpointName;
        const stage = callOptions.stage ?? untimed;
        // No bank plans: the jobs' endpoint builds no banks.
        const { invocation, fusion } = await deliverMixture(request, delivery(stage, callOptions.signal));
        await settings.store.put(at.inputKey, encodeInvocation(invocation), { contentType: INVOCATION_CONTENT_TYPE });
        let output: { OutputLocation?: string | undefined; FailureLocation?: string | undefined; InferenceId?: string | undefined };
        try {
          output = await client.send(
            new InvokeEndpointAsyncCommand({
              EndpointName: asyncEndpoint,
              InputLocation: s3Uri(settings.bucket, at.inputKey),
              InferenceId: at.inferenceId,
              ContentType: INVOCATION_CONTENT_TYPE,
              Accept: RESPONSE_CONTENT_TYPE,
              ...(settings.requestTtlSeconds === undefined ? {} : { RequestTTLSeconds: settings.requestTtlSeconds }),
            }),
            callOptions.signal ? { abortSignal: callOptions.signal } : {},
          );
        } catch (error) {
          throw classifyInvocationError(error, { ...context, endpointName: asyncEndpoint }).error;
        }
        if (!output.OutputLocation)
          throw new BackendError("invalid-response", `endpoint ${asyncEndpoint} accepted the asynchronous invocation without an output location`, { endpointName: asyncEndpoint });
        const outputKey = keyOfS3Uri(output.OutputLocation, settings.bucket);
        // SageMaker names the failure location only when the config has a failure path; without one, failures would never be seen.
        if (!output.FailureLocation)
          throw new BackendError("invalid-response", `endpoint ${asyncEndpoint} gave no failure location: its AsyncInferenceConfig needs an S3FailurePath`, { endpointName: asyncEndpoint });
        return { inferenceId: output.InferenceId ?? at.inferenceId, outputKey, failureKey: keyOfS3Uri(output.FailureLocation, settings.bucket), fusion };
      },
      collect: (submission) => collectAsync(settings.store, submission),
    };
  }

  return {
    kind: "sagemaker",
    infer,
    ...(options.async ? { async: asyncInference(options.async) } : {}),
    close: async () => client.destroy(),
  };
}

import type { Adapters } from "@semla/adapters";
import { errorReplyHeaders } from "@semla/core";
import { decodeInvocation, encodeInferenceResponse, INVOCATION_CONTENT_TYPE, RESPONSE_CONTENT_TYPE, type Segmenter } from "@semla/inference";
import { createLogger, errorFields, extractTraceContext, inServerSpan, inSpan, type Logger, levelOf } from "@semla/observability";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { EndpointBanks } from "./banks.js";
import { EndpointError, errorReply } from "./errors.js";

export interface EndpointAppOptions {
  readonly segmenter: Segmenter;
  /** The process's adapters: references are resolved through them (one cache). */
  readonly adapters: Adapters;
  /** Bank mode: a request with a bank plan is served by its library's bank when one is ready (banks.ts); without, such a request is served from its adapter reference. */
  readonly banks?: EndpointBanks;
  /** Whether the models are loaded: until then /ping answers 503 and invocations are refused. */
  readonly ready: () => boolean;
  /** Default 8 MiB: above SageMaker's 6 MB, so only a client that bypasses it gets a 413 here. */
  readonly bodyLimitBytes?: number;
  /**
   * JSON lines, as the API's: one per invocation with the request id the API sent in the envelope,
   * and internal errors (their text never reaches the caller). Default: info and above on stdout.
   */
  readonly logger?: Logger;
}

export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The SageMaker container contract (GET /ping, POST /invocations) as a Hono app, apart from the
 * Node server so tests run it in-process. Every failure goes through one handler: SemlaErrors are
 * 4xx JSON `{ error: { code, message, details } }`, anything else a 500 that says nothing more.
 */
export function createEndpointApp(options: EndpointAppOptions): Hono {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const logger = options.logger ?? createLogger("info");
  const { segmenter, adapters } = options;
  const app = new Hono();
  // The request id the API sent in the envelope, once it is decoded (by request: the app's type stays plain).
  const requestIds = new WeakMap<Request, string>();

  // Each invocation continues the API's trace (its traceparent comes in SageMaker's custom
  // attributes), and ends in one log line with the API's request id.
  app.use("/invocations", async (c, next) => {
    const started = performance.now();
    await inServerSpan(
      extractTraceContext((name) => c.req.header(name)),
      "POST /invocations",
      async (span) => {
        await next();
        const requestId = requestIds.get(c.req.raw);
        span.setAttributes({ "http.response.status_code": c.res.status, ...(requestId !== undefined && { "semla.request_id": requestId }) });
      },
    );
    const status = c.res.status;
    logger.log(levelOf(status), "invocation", {
      requestId: requestIds.get(c.req.raw),
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
    });
  });

  app.get("/ping", (c) => {
    if (!options.ready()) throw new EndpointError("not-ready", "the models are still loading");
    return c.body(null, 200);
  });

  app.post(
    "/invocations",
    bodyLimit({
      maxSize: bodyLimitBytes,
      onError: () => {
        throw new EndpointError("payload-too-large", `the request body is over the ${bodyLimitBytes}-byte limit`, { limit: bodyLimitBytes });
      },
    }),
    async (c) => {
      if (!options.ready()) throw new EndpointError("not-ready", "the models are still loading");
      const contentType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (contentType !== INVOCATION_CONTENT_TYPE) {
        throw new EndpointError("unsupported-media-type", `the request must be ${INVOCATION_CONTENT_TYPE}, not ${contentType || "untyped"}`, { contentType });
      }
      const request = decodeInvocation(new Uint8Array(await c.req.arrayBuffer()));
      if (request.requestId !== undefined) requestIds.set(c.req.raw, request.requestId);
      const signal = c.req.raw.signal;
      if (request.bank) {
        // Nothing resolved, nothing fused: the adapters are resident in the bank session.
        const output = options.banks ? await options.banks.segment({ image: request.image, classNames: request.classNames, bank: request.bank }, { signal }) : null;
        if (output) return c.body(encodeInferenceResponse({ ...output, adapter: { kind: "bank", sha256: null, cached: true } }), 200, { "content-type": RESPONSE_CONTENT_TYPE });
        if (request.adapter.kind === "none") {
          throw new EndpointError("bank-not-ready", `no bank of library ${request.bank.library} at generation ${request.bank.generation} is ready here: send the plan's adapter reference with it`, {
            library: request.bank.library,
            generation: request.bank.generation,
            retryAfterSeconds: 5,
          });
        }
      }
      // The segmenter is not closed with the app: it belongs to whoever made it.
      const resolved = await inSpan("resolve", () => adapters.resolve(request.adapter, { signal }), { "semla.adapter.kind": request.adapter.kind });
      const output = await inSpan("segment", () => segmenter.segment({ image: request.image, classNames: request.classNames, adapter: resolved.adapter }, { signal }));
      const response = { ...output, adapter: { kind: resolved.kind, sha256: resolved.sha256, cached: resolved.cached } };
      return c.body(encodeInferenceResponse(response), 200, { "content-type": RESPONSE_CONTENT_TYPE });
    },
  );

  app.notFound(() => {
    throw new EndpointError("not-found", "no such route: the endpoint serves GET /ping and POST /invocations");
  });

  app.onError((error, c) => {
    const reply = errorReply(error);
    // A client that went away aborts its inference: nothing to report.
    if (reply.internal && !c.req.raw.signal.aborted) logger.log("error", "internal error", { requestId: requestIds.get(c.req.raw), path: c.req.path, ...errorFields(error) });
    return c.json(reply.body, reply.status, errorReplyHeaders(reply, { bodyUnread: c.req.raw.body !== null && !c.req.raw.bodyUsed }));
  });

  return app;
}

import type { Adapters } from "@semla/adapters";
import { errorReplyHeaders } from "@semla/core";
import { decodeInvocation, encodeInferenceResponse, INVOCATION_CONTENT_TYPE, RESPONSE_CONTENT_TYPE, type Segmenter } from "@semla/inference";
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
  /** Where internal errors are reported (their text never reaches the caller). Default: stderr. */
  readonly logError?: (error: unknown, context: { readonly path: string }) => void;
}

export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

function defaultLogError(error: unknown, context: { readonly path: string }): void {
  process.stderr.write(`endpoint: ${context.path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}

/**
 * The SageMaker container contract (GET /ping, POST /invocations) as a Hono app, apart from the
 * Node server so tests run it in-process. Every failure goes through one handler: SemlaErrors are
 * 4xx JSON `{ error: { code, message, details } }`, anything else a 500 that says nothing more.
 */
export function createEndpointApp(options: EndpointAppOptions): Hono {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const logError = options.logError ?? defaultLogError;
  const { segmenter, adapters } = options;
  const app = new Hono();

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
      const resolved = await adapters.resolve(request.adapter, { signal });
      const output = await segmenter.segment({ image: request.image, classNames: request.classNames, adapter: resolved.adapter }, { signal });
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
    if (reply.internal && !c.req.raw.signal.aborted) logError(error, { path: c.req.path });
    return c.json(reply.body, reply.status, errorReplyHeaders(reply, { bodyUnread: c.req.raw.body !== null && !c.req.raw.bodyUsed }));
  });

  return app;
}

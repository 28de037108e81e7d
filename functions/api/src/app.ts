import type { OpenAPIHono } from "@hono/zod-openapi";
import { errorReplyHeaders } from "@semla/core";
import { errorFields } from "@semla/observability";
import type { Pipeline } from "@semla/pipeline";
import { PRESIGNED_UPLOAD_PATH } from "@semla/storage";
import { bodyLimit } from "hono/body-limit";
import { requireApiKey } from "./auth/api-keys.js";
import { cachedKeys } from "./auth/key-cache.js";
import type { ApiDeps } from "./http/env.js";
import { ApiError, errorReply } from "./http/errors.js";
import { methodNotAllowed } from "./http/method-not-allowed.js";
import { registerSecuritySchemes } from "./http/openapi.js";
import { servedDocument } from "./http/openapi-document.js";
import { requestLog } from "./http/request-log.js";
import { requestMetrics } from "./http/request-metrics.js";
import { requestSpan } from "./http/request-span.js";
import { corsPolicy, responseHeaders } from "./http/response-headers.js";
import { newRouter } from "./http/router.js";
import { urlLimit } from "./http/url-limit.js";
import { adapterFilesRoutes } from "./routes/adapter-files.js";
import { adaptersRoutes } from "./routes/adapters.js";
import { ADMIN_PREFIX, adminRoutes, requireAdminToken } from "./routes/admin.js";
import { blobsRoutes, presignedUploadRoute } from "./routes/blobs.js";
import type { CentroidOfImages } from "./routes/centroid-input.js";
import { consoleDistDir, consoleRoutes, type DemoImage } from "./routes/console.js";
import { docsRoutes } from "./routes/docs.js";
import { fuseRoutes } from "./routes/fuse.js";
import { healthRoutes } from "./routes/health.js";
import { imagesRoutes } from "./routes/images.js";
import { inferenceRoutes } from "./routes/inference.js";
import { type JobsDeps, jobsRoutes } from "./routes/jobs.js";
import { librariesRoutes } from "./routes/libraries.js";
import { metricsRoutes } from "./routes/metrics.js";
import { modelsRoutes } from "./routes/models.js";
import { readyRoutes } from "./routes/ready.js";
import { statsRoutes } from "./routes/stats.js";
import { createUploadStore } from "./uploads/upload-store.js";

export interface AppDeps extends ApiDeps {
  readonly pipeline: Pipeline;
  readonly centroidOfImages?: CentroidOfImages;
  /** Test images the console's Try it page offers (the embedded default's demo library's). */
  readonly demoImages?: readonly DemoImage[];
  /** Asynchronous jobs (POST /v1/jobs); absent, those routes answer 501. */
  readonly jobs?: JobsDeps;
}

export const API_VERSION = "0.1.0";

/** The document's head: what Redocly's recommended rules ask of it (servers, a licence). */
const DOCUMENT_CONFIG: Parameters<OpenAPIHono["getOpenAPI31Document"]>[0] = {
  openapi: "3.1.0",
  info: {
    title: "SemLA Serve",
    version: API_VERSION,
    description:
      "Test-time adaptation of open-vocabulary segmentation by retrieving and fusing LoRA adapters (SemLA). Authenticate with an API key, as `Authorization: Bearer semla_…` or `x-api-key: semla_…`. Errors answer `{error: {code, message, details}}`.",
    license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
  },
  servers: [{ url: "/", description: "This server (the document is served by the API it describes)" }],
};

/**
 * The whole HTTP API as one Hono app: served by the Node server (`semla serve`, the embedded
 * default) and by the Lambda handler alike. Failures are mapped to `{error: {code, message, details}}`
 * once, in onError.
 */
export function createApp(deps: AppDeps) {
  const uploads = createUploadStore(deps.store);
  const routeDeps = { ...deps, uploads };
  const app = newRouter();

  app.use("*", requestLog(deps.logger));
  app.use("*", requestSpan());
  if (deps.metrics) app.use("*", requestMetrics(deps.metrics));
  app.use("*", responseHeaders());
  const cors = corsPolicy(deps.corsOrigins);
  if (cors) app.use("*", cors);
  app.use("*", urlLimit());
  app.use("*", methodNotAllowed(app, { corsOn: cors !== undefined }));
  // The filesystem store's presigned PUTs are authorised by their signature and sized by it.
  if (deps.presignSecret !== undefined) app.route("/", blobsRoutes(deps.store, deps.presignSecret));
  const limit = deps.bodyLimitBytes;
  app.use("/v1/*", async (c, next) => (c.req.path === PRESIGNED_UPLOAD_PATH ? next() : bodyLimitMiddleware(c, next)));
  const bodyLimitMiddleware = bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new ApiError("payload-too-large", `the request body is over the ${limit}-byte limit: upload large files through a presigned URL (POST /v1/adapters/uploads, POST /v1/uploads/images)`, {
        limit,
      });
    },
  });
  // One key cache for authentication and revocation, so a key revoked here is refused at once.
  const apiKeys = cachedKeys(deps.apiKeys);
  const auth = requireApiKey(apiKeys);
  const admin = requireAdminToken(deps.adminTokenSha256);
  app.use("/v1/*", async (c, next) => (c.req.path === PRESIGNED_UPLOAD_PATH ? next() : c.req.path.startsWith(ADMIN_PREFIX) ? admin(c, next) : auth(c, next)));
  const metricsAccess = deps.metricsAccess ?? "key";
  if (deps.metrics && metricsAccess !== "off") app.route("/", metricsRoutes(deps.metrics, metricsAccess === "open" ? undefined : metricsAccess === "admin" ? admin : auth));

  const routes = app
    .route("/", healthRoutes())
    .route("/", readyRoutes(deps.readiness ?? {}, { logger: deps.logger }))
    .route("/", librariesRoutes(routeDeps))
    .route("/", modelsRoutes(routeDeps))
    .route("/", adaptersRoutes(routeDeps))
    .route("/", adapterFilesRoutes(routeDeps))
    .route("/", imagesRoutes(routeDeps))
    .route("/", inferenceRoutes(routeDeps))
    .route("/", fuseRoutes(routeDeps))
    .route("/", jobsRoutes(routeDeps))
    .route("/", statsRoutes(routeDeps))
    .route("/", adminRoutes({ ...routeDeps, apiKeys }))
    .route("/", docsRoutes())
    .route("/", consoleRoutes(consoleDistDir(), deps.demoImages));

  registerSecuritySchemes(app);
  app.openAPIRegistry.registerPath(presignedUploadRoute);
  let document: unknown;
  app.get("/openapi.json", (c) => {
    document ??= servedDocument(app.getOpenAPI31Document(DOCUMENT_CONFIG));
    return c.json(document as object);
  });

  app.notFound((c) => {
    throw new ApiError("not-found", `no route ${c.req.method} ${c.req.path}`, { method: c.req.method, path: c.req.path });
  });
  app.onError((error, c) => {
    const reply = errorReply(error);
    if (reply.internal && !c.req.raw.signal.aborted) deps.logger.log("error", "internal error", { requestId: c.get("requestId"), path: c.req.path, ...errorFields(error) });
    const headers = errorReplyHeaders(reply, { bodyUnread: c.req.raw.body !== null && !c.req.raw.bodyUsed });
    const allow = reply.status === 405 ? reply.body.error.details.allow : undefined;
    return c.json(reply.body, reply.status, Array.isArray(allow) ? { ...headers, allow: allow.join(", ") } : headers);
  });
  return routes;
}

export type App = ReturnType<typeof createApp>;

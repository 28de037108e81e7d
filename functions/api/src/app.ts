import { errorReplyHeaders } from "@semla/core";
import type { Pipeline } from "@semla/pipeline";
import { PRESIGNED_UPLOAD_PATH } from "@semla/storage";
import { bodyLimit } from "hono/body-limit";
import { requireApiKey } from "./auth/api-keys.js";
import { cachedKeys } from "./auth/key-cache.js";
import type { ApiDeps } from "./http/env.js";
import { ApiError, errorReply } from "./http/errors.js";
import { errorFields } from "./http/logger.js";
import { requestLog } from "./http/request-log.js";
import { newRouter } from "./http/router.js";
import { urlLimit } from "./http/url-limit.js";
import { adapterFilesRoutes } from "./routes/adapter-files.js";
import { adaptersRoutes } from "./routes/adapters.js";
import { ADMIN_PREFIX, adminRoutes, requireAdminToken } from "./routes/admin.js";
import { blobsRoutes } from "./routes/blobs.js";
import type { CentroidOfImages } from "./routes/centroid-input.js";
import { fuseRoutes } from "./routes/fuse.js";
import { healthRoutes } from "./routes/health.js";
import { imagesRoutes } from "./routes/images.js";
import { inferenceRoutes } from "./routes/inference.js";
import { type JobsDeps, jobsRoutes } from "./routes/jobs.js";
import { librariesRoutes } from "./routes/libraries.js";
import { modelsRoutes } from "./routes/models.js";
import { statsRoutes } from "./routes/stats.js";
import { createUploadStore } from "./uploads/upload-store.js";

export interface AppDeps extends ApiDeps {
  readonly pipeline: Pipeline;
  readonly centroidOfImages?: CentroidOfImages;
  /** Asynchronous jobs (POST /v1/jobs); absent, those routes answer 501. */
  readonly jobs?: JobsDeps;
}

export const API_VERSION = "0.1.0";

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
  app.use("*", urlLimit());
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

  const routes = app
    .route("/", healthRoutes())
    .route("/", librariesRoutes(routeDeps))
    .route("/", modelsRoutes(routeDeps))
    .route("/", adaptersRoutes(routeDeps))
    .route("/", adapterFilesRoutes(routeDeps))
    .route("/", imagesRoutes(routeDeps))
    .route("/", inferenceRoutes(routeDeps))
    .route("/", fuseRoutes(routeDeps))
    .route("/", jobsRoutes(routeDeps))
    .route("/", statsRoutes(routeDeps))
    .route("/", adminRoutes({ ...routeDeps, apiKeys }));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "An API key: Authorization: Bearer semla_…" });
  app.openAPIRegistry.registerComponent("securitySchemes", "admin", {
    type: "http",
    scheme: "bearer",
    description: "The operator's admin token (its sha256 in SEMLA_ADMIN_TOKEN_SHA256; the embedded default keeps one in SEMLA_DATA_DIR/admin-token): Authorization: Bearer semla_admin_…",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "SemLA Serve", version: API_VERSION, description: "Test-time adaptation of open-vocabulary segmentation by retrieving and fusing LoRA adapters (SemLA)." },
  });

  app.notFound((c) => {
    throw new ApiError("not-found", `no route ${c.req.method} ${c.req.path}`, { method: c.req.method, path: c.req.path });
  });
  app.onError((error, c) => {
    const reply = errorReply(error);
    if (reply.internal && !c.req.raw.signal.aborted) deps.logger.log("error", "internal error", { requestId: c.get("requestId"), path: c.req.path, ...errorFields(error) });
    return c.json(reply.body, reply.status, errorReplyHeaders(reply, { bodyUnread: c.req.raw.body !== null && !c.req.raw.bodyUsed }));
  });
  return routes;
}

export type App = ReturnType<typeof createApp>;
